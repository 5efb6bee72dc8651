import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { RunReport } from '../report/types.js';

/** The report version `simterpose plot` reads: the first with `usage`. */
const PLOTTED_VERSION = 5;

/**
 * A report file written by `simterpose run --report`, checked for what the
 * plot reads; a missing file, bad JSON or another shape is one UserError
 * naming the file and the first thing wrong.
 */
export function readReportFile(path: string): RunReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `report not found: ${path}` : `cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const problem = reportProblem(value);
  if (problem !== undefined) throw new UserError(`${path} is not a simterpose report: ${problem}`);
  return value as RunReport;
}

type Check = (value: unknown, at: string) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const number: Check = (value, at) => (typeof value === 'number' && Number.isFinite(value) ? undefined : `${at} is not a number`);
const positive: Check = (value, at) => number(value, at) ?? ((value as number) > 0 ? undefined : `${at} is not positive`);
const string: Check = (value, at) => (typeof value === 'string' ? undefined : `${at} is not a string`);
const orNull =
  (check: Check): Check =>
  (value, at) =>
    value === null ? undefined : check(value, at);

function arrayOf(check: Check): Check {
  return (value, at) => {
    if (!Array.isArray(value)) return `${at} is not a list`;
    for (const [i, item] of value.entries()) {
      const problem = check(item, `${at}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
}

function objectWith(fields: Record<string, Check>): Check {
  return (value, at) => {
    if (!isObject(value)) return `${at} is not an object`;
    for (const [key, check] of Object.entries(fields)) {
      const path = at === '' ? key : `${at}.${key}`;
      if (!(key in value)) return `${path} is missing`;
      const problem = check(value[key], path);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
}

const exit: Check = (value, at) => {
  if (isObject(value) && 'code' in value) return number(value['code'], `${at}.code`);
  return objectWith({ signal: number })(value, at);
};

const inputFile = objectWith({ path: string });

const PLOTTED_FIELDS = objectWith({
  run: objectWith({ command: orNull(arrayOf(string)), platform: inputFile, deployment: orNull(inputFile) }),
  virtualTime: number,
  hosts: arrayOf(objectWith({ name: string })),
  processes: arrayOf(objectWith({ host: string, pid: number, command: string, exit, status: number, stopped: orNull(string), start: number, end: number })),
  faults: arrayOf(objectWith({ date: number, fault: string })),
  usage: objectWith({
    interval: positive,
    hosts: arrayOf(objectWith({ name: string, cores: positive, cpuTime: arrayOf(number) })),
    links: arrayOf(objectWith({ name: string, bandwidth: positive, bytes: arrayOf(number) })),
  }),
});

/** What keeps `value` from being a report the plot can draw, or undefined. */
export function reportProblem(value: unknown): string | undefined {
  if (!isObject(value) || !('version' in value)) return 'it has no version';
  if (value['version'] !== PLOTTED_VERSION) {
    return `it is of version ${JSON.stringify(value['version'])}, and plot reads version ${PLOTTED_VERSION} (run the experiment again with this simterpose)`;
  }
  return PLOTTED_FIELDS(value, '');
}
