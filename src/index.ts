/** simterpose as a library: run experiments from tests and scripts. */
export { runExperiment, type ExperimentOptions, type ExperimentResult, type ProcessSummary } from './experiment.js';
export { UserError } from './errors.js';
