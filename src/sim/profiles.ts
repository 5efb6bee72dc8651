import { strtod } from './units.js';

/**
 * The values of a SimGrid profile (a <trace>'s text, or a speed_file,
 * bandwidth_file or latency_file), read as SimGrid 3.32 reads them
 * (LegacyUpdateCb in src/kernel/resource/profile/ProfileBuilder.cpp): one
 * "date value" pair a line, blank lines and lines starting with # or % left
 * out, PERIODICITY and LOOPAFTER lines aside. SimGrid asserts that each value
 * is zero or more when the clock reaches it, aborting the run then: a value
 * that is negative, not a number or infinite is found here before.
 */

/** Distributions of a stochastic pair: their values are drawn, not written. */
const LAWS = new Map([
  ['DET', 1],
  ['NORM', 2],
  ['NORMAL', 2],
  ['GAUSS', 2],
  ['GAUSSIAN', 2],
  ['EXP', 1],
  ['EXPONENTIAL', 1],
  ['UNIF', 2],
  ['UNIFORM', 2],
]);

export interface ProfileFault {
  /** The line of the profile, from 1. */
  line: number;
  value: string;
  why: 'negative' | 'not a number' | 'infinite';
}

/** The first written value that SimGrid would abort on; undefined if none (drawn values cannot be known). */
export function profileFault(text: string): ProfileFault | undefined {
  const lines = text.split(/\r\n|[\n\r]/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('%') || /^(PERIODICITY|LOOPAFTER) /.test(line) || line.startsWith('STOCHASTIC')) continue;
    const value = writtenValue(line.split(/\s+/));
    if (value === undefined) continue;
    const number = strtod(value);
    if (number === undefined) continue;
    const why = Number.isNaN(number.value) ? 'not a number' : !Number.isFinite(number.value) ? 'infinite' : number.value < 0 ? 'negative' : undefined;
    if (why !== undefined) return { line: i + 1, value, why };
  }
  return undefined;
}

/** The value of a "date value" line: after the date (one number, or a law and its parameters), a number or DET and a number. */
function writtenValue(tokens: string[]): string | undefined {
  const dateLength = 1 + (LAWS.get(tokens[0]!) ?? 0);
  const valueLaw = tokens[dateLength];
  if (valueLaw === undefined) return undefined;
  if (valueLaw === 'DET') return tokens[dateLength + 1];
  return LAWS.has(valueLaw) ? undefined : valueLaw;
}
