/** simterpose as a library: run experiments from tests and scripts. */
export {
  runExperiment,
  type ExperimentOptions,
  type ExperimentResult,
  type NoticeKind,
  type ProcessOutput,
  type ProcessSummary,
} from './experiment.js';
export type {
  HostReport,
  HostUsage,
  InputFile,
  LinkReport,
  LinkUsage,
  MigrationReport,
  ProcessReport,
  RunDescription,
  RunEnd,
  RunReport,
  SettingReport,
  StopCause,
  UsageReport,
} from './report/types.js';
export type { ChromeTrace, TraceEvent } from './report/trace.js';
export type { HostLoad, MigrationPolicy, Move, PlacementState, ProcessLoad } from './migration/policy.js';
export { formatSummary } from './report/summary.js';
export { RunFailedError, UserError } from './errors.js';
