/** simterpose as a library: run experiments from tests and scripts. */
export {
  runExperiment,
  type ExperimentOptions,
  type ExperimentResult,
  type ProcessOutput,
  type ProcessSummary,
} from './experiment.js';
export type { ProcessReport, RunEnd, RunReport, StopCause } from './report/types.js';
export type { ChromeTrace, TraceEvent } from './report/trace.js';
export { formatSummary } from './report/summary.js';
export { RunFailedError, UserError } from './errors.js';
