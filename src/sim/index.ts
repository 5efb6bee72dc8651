/** SimGrid, compiled to WebAssembly, as the clock of a simulation. See DESIGN.md (src/sim). */
export {
  loadSimulation,
  loadSimulationFromString,
  Simulation,
  type AdvanceResult,
  type HostInfo,
  type HostRef,
  type LinkInfo,
  type Route,
  type SharingPolicy,
  type SimulationOptions,
} from './simulation.js';
export { loadModule, moduleLoadMs } from './module.js';
export { parseDeployment, parseDeploymentText, type DeploymentEntry } from './deployment.js';
