import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';
import { parseXml, type XmlElement } from '../sim/xml.js';

/**
 * The state profiles of a platform, read as SimGrid 3.32 reads them
 * (ProfileBuilder.cpp): a host's or link's `state_file`, or a `<trace>`
 * connected to it as HOST_AVAIL or LINK_AVAIL. Each line is "date value",
 * a value above zero turning the resource on and zero turning it off; the
 * dates of the first round are absolute. `LOOPAFTER d` starts the rounds
 * over d seconds after the last date, `PERIODICITY p` every p seconds.
 * SimGrid applies them to its own resources; simterpose applies them to the
 * programs as it applies --fault (see FaultInjector). A stochastic state
 * profile draws its dates from SimGrid's random numbers, which simterpose
 * cannot follow: it is refused.
 */
export interface StateProfile {
  kind: 'host' | 'link';
  name: string;
  /** The first round, in date order. */
  events: Array<{ date: number; on: boolean }>;
  /** How long a round lasts when the profile loops (rounds start at 0, period, 2 period...); undefined when it does not. */
  period: number | undefined;
}

/** The state profiles of the platform file `file`, in document order. */
export function readStateProfiles(file: string): StateProfile[] {
  const root = parseXml(readFileSync(file, 'utf8'));
  const folder = dirname(file);
  const profiles: StateProfile[] = [];
  const traces = new Map<string, { text: string; periodicity: number }>();
  const visit = (element: XmlElement): void => {
    const stateFile = element.attributes.get('state_file');
    const id = element.attributes.get('id');
    if ((element.name === 'host' || element.name === 'link') && stateFile !== undefined && stateFile !== '' && id !== undefined) {
      profiles.push(parseStateProfile(element.name, id, readProfile(folder, stateFile), 0, `${element.name} '${id}': state_file="${stateFile}"`));
    }
    if (element.name === 'peer' && stateFile !== undefined && stateFile !== '') {
      throw new UserError(`${file}:${element.line}: peer '${id}': state_file: simterpose honours state profiles on hosts and links only`);
    }
    if (element.name === 'trace' && id !== undefined) {
      const traceFile = element.attributes.get('file');
      const text = traceFile !== undefined && traceFile !== '' ? readProfile(folder, traceFile) : element.text;
      traces.set(id, { text, periodicity: Number(element.attributes.get('periodicity') ?? '0') || 0 });
    }
    if (element.name === 'trace_connect') {
      // HOST_AVAIL is the DTD's default kind.
      const kind = element.attributes.get('kind') ?? 'HOST_AVAIL';
      const trace = traces.get(element.attributes.get('trace') ?? '');
      const target = element.attributes.get('element') ?? '';
      if ((kind === 'HOST_AVAIL' || kind === 'LINK_AVAIL') && trace !== undefined) {
        const what = kind === 'HOST_AVAIL' ? 'host' : 'link';
        profiles.push(parseStateProfile(what, target, trace.text, trace.periodicity, `trace_connect kind="${kind}" on '${target}'`));
      }
    }
    for (const child of element.children) visit(child);
  };
  visit(root);
  return profiles;
}

function readProfile(folder: string, path: string): string {
  const full = isAbsolute(path) ? path : join(folder, path);
  try {
    return readFileSync(full, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the profile ${full}: ${(error as Error).message}`);
  }
}

/** One profile's text as SimGrid reads it; `periodicity` is a <trace>'s attribute. */
export function parseStateProfile(kind: 'host' | 'link', name: string, text: string, periodicity: number, source: string): StateProfile {
  const events: StateProfile['events'] = [];
  let loopAfter: number | undefined;
  let period = periodicity > 0 ? periodicity : undefined;
  for (const raw of text.split(/\r\n|[\n\r]/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('%')) continue;
    const [first, second] = line.split(/\s+/);
    if (first === 'STOCHASTIC')
      throw new UserError(`${source}: a stochastic state profile draws from SimGrid's random numbers, which simterpose cannot follow`);
    if (first === 'LOOPAFTER') loopAfter = Number(second);
    else if (first === 'PERIODICITY') period = Number(second);
    else events.push({ date: Number(first), on: Number(second) > 0 });
  }
  const last = events.at(-1)?.date ?? 0;
  if (loopAfter !== undefined) period = last + loopAfter;
  return { kind, name, events, period: period !== undefined && period > 0 && events.length > 0 ? period : undefined };
}

/** The profile's changes one after the other, forever if it loops. */
export function* stateChanges(profile: StateProfile): Generator<{ date: number; on: boolean }> {
  for (let round = 0; ; round++) {
    const offset = round * (profile.period ?? 0);
    for (const event of profile.events) yield { date: offset + event.date, on: event.on };
    if (profile.period === undefined) return;
  }
}
