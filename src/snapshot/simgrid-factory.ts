import type { Factory } from '../sim/module.js';

/** The JavaScript half of the SimGrid module, bundled with the CLI's startup snapshot in place of src/sim/simgrid-factory.ts. */
export function requireSimGridFactory(): Factory {
  return require('../../native/simgrid-wasm/dist/simgrid.cjs') as Factory;
}
