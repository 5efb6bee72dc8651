import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { unknownHost } from './simulation.js';
import { parseXml, XmlSyntaxError, type XmlElement } from './xml.js';

/** One program to start: on which host, with which command line, when. */
export interface DeploymentEntry {
  host: string;
  /** argv[0] is the `function` attribute: the program to run. */
  argv: string[];
  /** Virtual seconds after the start of the simulation. */
  startTime: number;
  /** When it and every process it started are killed (SIGKILL), if ever: virtual seconds after the start of the simulation. */
  killTime?: number;
  /** `<migrate time="T" host="B"/>` children (set only when there are some): the process moves to host B at T (src/migration), by pre-copy with live="true", in date order. */
  migrations?: { at: number; to: string; live: boolean }[];
  /** SimGrid's on_failure="RESTART" (set only then): it starts again, a fresh process with the same arguments, when its host, crashed, turns on again. */
  restart?: true;
}

/**
 * Reads a deployment file in SimGrid's format:
 *
 *   <platform version="4.1">
 *     <actor host="alice" function="./server" start_time="0" kill_time="3600">
 *       <argument value="8080"/>
 *       <migrate time="60" host="bob"/>
 *     </actor>
 *   </platform>
 *
 * `<process>` is accepted as another spelling of `<actor>`. Entries come in
 * file order. Every host must be one of `hostNames`. A kill_time, as in
 * SimGrid, is the virtual date at which the actor is killed; simterpose
 * kills the processes it started with it. on_failure="RESTART" starts it
 * again when its host, crashed by a fault, turns on again (DIE, the
 * default, leaves it dead). `<migrate>` moves the actor's process to
 * another host at a date (src/migration).
 */
export function parseDeployment(file: string, hostNames: readonly string[]): DeploymentEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`deployment file not found: ${file}`);
    throw new UserError(`cannot read deployment file ${file}: ${(error as Error).message}`);
  }
  return parseDeploymentText(text, file, hostNames);
}

/** parseDeployment() on text already read; `file` only names it in errors. */
export function parseDeploymentText(text: string, file: string, hostNames: readonly string[]): DeploymentEntry[] {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new UserError(`${file}:${error.line}: ${error.message}`);
    throw error;
  }
  const at = (element: XmlElement, message: string) => new UserError(`${file}:${element.line}: ${message}`);
  if (root.name !== 'platform') throw at(root, `the root element must be <platform>, not <${root.name}>`);

  const known = new Set(hostNames);
  const entries: DeploymentEntry[] = [];
  for (const element of root.children) {
    if (element.name !== 'actor' && element.name !== 'process') {
      throw at(element, `unexpected <${element.name}>; a deployment file holds <actor> elements`);
    }
    const host = element.attributes.get('host');
    const fn = element.attributes.get('function');
    if (host === undefined) throw at(element, `<${element.name}> needs a host attribute`);
    if (fn === undefined || fn === '') throw at(element, `<${element.name}> needs a function attribute`);
    if (!known.has(host)) {
      const error = unknownHost(host, [...hostNames]);
      throw new UserError(`${file}:${element.line}: ${error.message}`);
    }
    const startAttr = element.attributes.get('start_time') ?? '0';
    const startTime = Number(startAttr);
    // SimGrid writes "-1" for "no start time", meaning at the start.
    if (startAttr.trim() === '' || !Number.isFinite(startTime) || (startTime < 0 && startTime !== -1)) {
      throw at(element, `start_time must be a non-negative number of seconds, not '${startAttr}'`);
    }
    const killTime = parseKillTime(element.attributes.get('kill_time'), Math.max(startTime, 0), (message) => at(element, message));
    const argv = [fn];
    const migrations: { at: number; to: string; live: boolean }[] = [];
    for (const child of element.children) {
      if (child.name === 'argument') {
        const value = child.attributes.get('value');
        if (value === undefined) throw at(child, '<argument> needs a value attribute');
        argv.push(value);
      } else if (child.name === 'migrate') {
        migrations.push(parseMigrate(child, Math.max(startTime, 0), known, (message) => at(child, message)));
      } else if (child.name !== 'prop') {
        throw at(child, `unexpected <${child.name}> in <${element.name}>; expected <argument value="..."/> or <migrate time="T" host="B"/>`);
      }
    }
    migrations.sort((a, b) => a.at - b.at);
    const onFailure = element.attributes.get('on_failure') ?? 'DIE';
    if (onFailure !== 'DIE' && onFailure !== 'RESTART') throw at(element, `on_failure must be DIE or RESTART, not '${onFailure}'`);
    entries.push({
      host,
      argv,
      startTime: Math.max(startTime, 0),
      ...(killTime === undefined ? {} : { killTime }),
      ...(migrations.length === 0 ? {} : { migrations }),
      ...(onFailure === 'RESTART' ? { restart: true as const } : {}),
    });
  }
  return entries;
}

/** `<migrate time="T" host="B"/>`: a date from the actor's start on, a host of the platform. */
function parseMigrate(
  element: XmlElement,
  startTime: number,
  known: ReadonlySet<string>,
  error: (message: string) => UserError,
): { at: number; to: string; live: boolean } {
  const time = element.attributes.get('time');
  const to = element.attributes.get('host');
  if (time === undefined || to === undefined) throw error('<migrate> needs a time and a host attribute');
  const at = Number(time);
  if (time.trim() === '' || !Number.isFinite(at) || at < startTime)
    throw error(`<migrate> time must be a number of seconds from start_time ${startTime} on, not '${time}'`);
  if (!known.has(to)) throw error(unknownHost(to, [...known]).message);
  const live = element.attributes.get('live') ?? 'false';
  if (live !== 'true' && live !== 'false') throw error(`<migrate> live must be true or false, not '${live}'`);
  return { at, to, live: live === 'true' };
}

/** A kill_time: none when absent or SimGrid's "-1"; otherwise a date after the actor's start. */
function parseKillTime(text: string | undefined, startTime: number, error: (message: string) => UserError): number | undefined {
  if (text === undefined || text.trim() === '-1') return undefined;
  const killTime = Number(text);
  if (text.trim() === '' || !Number.isFinite(killTime) || killTime < 0) throw error(`kill_time must be a non-negative number of seconds, not '${text}'`);
  if (killTime <= startTime) throw error(`kill_time ${text} does not come after start_time ${startTime}: the program would never run`);
  return killTime;
}
