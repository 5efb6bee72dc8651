// The types of shadow-config.js, for its unit test.
export const SHADOW_MIN_LATENCY: string;
export const SHADOW_BANDWIDTH: string;
export interface PlacedProcess {
  host: string;
  argv: string[];
  start: number;
  kill?: number;
}
export function shadowConfig(processes: PlacedProcess[], options: { stopTime: number; dataDirectory: string }): string;
