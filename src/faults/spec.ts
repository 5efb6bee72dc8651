import { UserError } from '../errors.js';
import { SIGKILL, signalName, signalNumber } from '../mediator/abi/signal.js';

/**
 * Scripted faults, as `--fault` and runExperiment's `faults` give them. Dates
 * are virtual seconds from the start of the run.
 *
 *   host:NAME:off@T   host:NAME:on@T          the host crashes / boots again
 *   link:NAME:off@T   link:NAME:on@T          the link drops all that crosses it / carries again
 *   process:PID@HOST:kill@T                   SIGKILL (kill=SIGTERM@T: any signal) to the process PID of HOST
 *   process:PID@HOST:pause@T:for=D            the process is frozen from T for D seconds
 *   clock:HOST:offset=S  clock:HOST:drift=+50ppm   that host's clocks are skewed (both may be given, ':'-separated)
 *
 * PID is the pid the program sees (its host's namespace).
 */
export type Fault =
  | { kind: 'host'; host: string; on: boolean; at: number }
  | { kind: 'link'; link: string; on: boolean; at: number }
  | { kind: 'signal'; pid: number; host: string; signal: number; at: number }
  | { kind: 'pause'; pid: number; host: string; at: number; duration: number }
  | { kind: 'clock'; host: string; offset: number; drift: number };

/** A fault that happens at a date (a clock skew holds from the start). */
export type DatedFault = Exclude<Fault, { kind: 'clock' }>;

const EXAMPLES = 'e.g. host:beta:off@5, link:wire:on@4, process:1@beta:kill=SIGTERM@2, process:1@beta:pause@2:for=0.5, clock:beta:offset=0.25:drift=+50ppm';

/** Reads one fault; a mistake is a UserError quoting it. */
export function parseFault(text: string): Fault {
  const bad = (why: string): UserError => new UserError(`--fault '${text}': ${why}`, EXAMPLES);
  const [kind, target, ...rest] = text.split(':');
  if (target === undefined || target === '') throw bad('expected KIND:TARGET:ACTION');
  switch (kind) {
    case 'host':
    case 'link': {
      const [action, at] = dated(rest.join(':'), bad);
      if (action !== 'on' && action !== 'off') throw bad(`a ${kind} turns on or off, not '${action}'`);
      return kind === 'host' ? { kind, host: target, on: action === 'on', at } : { kind, link: target, on: action === 'on', at };
    }
    case 'process':
      return processFault(target, rest, bad);
    case 'clock':
      return clockFault(target, rest, bad);
    default:
      throw bad(`unknown kind '${kind}': host, link, process or clock`);
  }
}

function processFault(target: string, rest: string[], bad: (why: string) => UserError): Fault {
  const match = /^(\d+)@(.+)$/.exec(target);
  if (match === null) throw bad(`a process is named PID@HOST, not '${target}'`);
  const pid = Number(match[1]);
  const host = match[2]!;
  const [action, at] = dated(rest[0] ?? '', bad);
  if (action === 'pause') {
    const duration = rest.length === 2 && rest[1]!.startsWith('for=') ? seconds(rest[1]!.slice(4), bad) : undefined;
    if (duration === undefined || duration <= 0) throw bad('a pause says how long: pause@T:for=SECONDS');
    return { kind: 'pause', pid, host, at, duration };
  }
  if (rest.length !== 1) throw bad(`unexpected '${rest.slice(1).join(':')}' after the action`);
  if (action === 'kill') return { kind: 'signal', pid, host, signal: SIGKILL, at };
  if (action.startsWith('kill=')) {
    const signal = signalNumber(action.slice(5));
    if (signal === undefined) throw bad(`unknown signal '${action.slice(5)}'`);
    return { kind: 'signal', pid, host, signal, at };
  }
  throw bad(`a process is killed (kill, kill=SIGNAL) or paused, not '${action}'`);
}

function clockFault(host: string, settings: string[], bad: (why: string) => UserError): Fault {
  if (settings.length === 0) throw bad('a clock fault sets offset=SECONDS, drift=±Nppm, or both');
  let offset = 0;
  let drift = 0;
  for (const setting of settings) {
    const [name, value] = setting.split('=', 2);
    if (name === 'offset' && value !== undefined) {
      offset = number(value, bad);
    } else if (name === 'drift' && value !== undefined && value.endsWith('ppm')) {
      drift = number(value.slice(0, -3), bad) / 1e6;
      if (drift <= -1) throw bad('a clock cannot run backwards');
    } else {
      throw bad(`expected offset=SECONDS or drift=±Nppm, not '${setting}'`);
    }
  }
  return { kind: 'clock', host, offset, drift };
}

/** ACTION@DATE. */
function dated(text: string, bad: (why: string) => UserError): [string, number] {
  const at = text.lastIndexOf('@');
  if (at < 0) throw bad('say when, in virtual seconds: ACTION@T');
  return [text.slice(0, at), seconds(text.slice(at + 1), bad)];
}

function seconds(text: string, bad: (why: string) => UserError): number {
  const value = number(text, bad);
  if (value < 0) throw bad(`a date or duration is not negative: '${text}'`);
  return value;
}

function number(text: string, bad: (why: string) => UserError): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw bad(`'${text}' is not a number`);
  return value;
}

/** Checks that the faults name hosts and links of the platform; a mistake is a UserError naming the fault and what exists. */
export function checkFaultTargets(faults: readonly Fault[], hosts: readonly string[], links: readonly string[]): void {
  for (const fault of faults) {
    if (fault.kind === 'link') {
      if (!links.includes(fault.link))
        throw new UserError(`--fault ${describeFault(fault)}: the platform has no link '${fault.link}'`, `its links: ${listed(links)}`);
    } else if (!hosts.includes(fault.host)) {
      throw new UserError(`--fault ${describeFault(fault)}: the platform has no host '${fault.host}'`, `its hosts: ${listed(hosts)}`);
    }
  }
}

function listed(names: readonly string[]): string {
  return names.length <= 20 ? names.join(', ') : `${names.slice(0, 20).join(', ')}, ...`;
}

/** A fault as the summary, the report and the trace name it. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'host':
      return `host ${fault.host} ${fault.on ? 'on' : 'off'}`;
    case 'link':
      return `link ${fault.link} ${fault.on ? 'on' : 'off'}`;
    case 'signal':
      return `${signalName(fault.signal)} to process ${fault.pid} on ${fault.host}`;
    case 'pause':
      return `process ${fault.pid} on ${fault.host} paused for ${fault.duration} s`;
    case 'clock':
      return `clock of ${fault.host} offset ${fault.offset} s, drift ${fault.drift * 1e6} ppm`;
  }
}
