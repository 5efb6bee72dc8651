import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { profileFault } from './profiles.js';
import { type ListedValue, parseBandwidths, parseInt32, parseQuantity, parseSpeeds, type Quantity } from './units.js';
import { parseXml, XmlSyntaxError, type XmlElement } from './xml.js';

/**
 * What SimGrid accepts in a platform file but cannot simulate: a speed,
 * bandwidth or latency that is not a number, negative, infinite, or zero
 * where zero has no meaning, a core count below one, a pstate a host does
 * not have, several bandwidths on a link that is not WIFI. SimGrid would give
 * a host a speed of NaN, abort on zero cores, or run a comm forever; here
 * such a value is refused with the file, the line and the attribute, and so
 * is a profile value SimGrid would abort on when the clock reaches it. So are
 * the network models SimGrid was built without (it aborts on them) and,
 * unless the caller handles them, state profiles (see STATE_PROFILES).
 *
 * Only values SimGrid reads without complaint are judged: a malformed file,
 * number or unit is left to SimGrid, whose own message names it.
 */

export interface PlatformCheckOptions {
  /** Accept state profiles (hosts and links turning off): the caller handles the activities SimGrid fails (runs do, through src/faults). */
  allowStateProfiles?: boolean;
  /** The platform file's folder, where SimGrid also looks for profile files. */
  directory?: string;
}

type Rule = 'speed' | 'bandwidth' | 'latency';
type Kind = Rule | 'speeds' | 'bandwidths' | 'cores' | 'pstate';

/** Which attributes of which element carry what, after SimGrid 3.32's simgrid.dtd and surfxml_sax_cb.cpp. */
const VALUES: Record<string, Record<string, Kind>> = {
  host: { speed: 'speeds', core: 'cores', pstate: 'pstate' },
  disk: { read_bw: 'bandwidth', write_bw: 'bandwidth' },
  cluster: {
    speed: 'speeds',
    core: 'cores',
    bw: 'bandwidth',
    lat: 'latency',
    bb_bw: 'bandwidth',
    bb_lat: 'latency',
    limiter_link: 'bandwidth',
    loopback_bw: 'bandwidth',
    loopback_lat: 'latency',
  },
  cabinet: { speed: 'speed', bw: 'bandwidth', lat: 'latency' },
  peer: { speed: 'speed', bw_in: 'bandwidth', bw_out: 'bandwidth' },
  link: { bandwidth: 'bandwidths', latency: 'latency' },
  backbone: { bandwidth: 'bandwidth', latency: 'latency' },
};

/** Attributes that SimGrid reads only when they are not empty. */
const OPTIONAL = new Set(['bb_bw', 'limiter_link', 'loopback_bw', 'loopback_lat']);

const QUANTITY: Record<Rule, Quantity> = { speed: 'speed', bandwidth: 'bandwidth', latency: 'time' };

const REQUIREMENT: Record<Rule, string> = {
  speed: 'a speed must be positive and finite, in flop/s (like 1Gf)',
  bandwidth: 'a bandwidth must be positive and finite, in bytes/s (like 125MBps)',
  latency: 'a latency must be zero or positive and finite, in seconds (like 50us)',
};

const PSTATE_SPEED = "a pstate's speed must be zero or positive and finite, in flop/s (like 1Gf)";

const PROFILE_VALUES = "a profile's values must be zero or positive and finite";

/** Attributes naming a profile file of values (state files only turn things off and on). */
const PROFILE_FILES: Record<string, string[]> = {
  host: ['speed_file', 'availability_file'],
  peer: ['speed_file', 'availability_file'],
  link: ['bandwidth_file', 'latency_file'],
};

const CORE_COUNT = 'a core count must be a whole number from 1 to 2147483647';

/** Network models that SimGrid compiled to WebAssembly lacks: it aborts on them. */
export const MISSING_NETWORK_MODELS = new Set(['SMPI', 'IB', 'ns-3']);

const STATE_PROFILES =
  "hosts and links turning off make SimGrid fail the activities they carry, which this simulation was not loaded to handle (loadSimulation's allowStateProfiles)";

/** The first thing SimGrid accepts but cannot simulate in a platform, as a UserError; undefined if none. */
export function checkPlatform(text: string, source: string, options: PlatformCheckOptions = {}): UserError | undefined {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) return undefined;
    throw error;
  }
  if (root.name !== 'platform') return undefined;
  const problem = firstProblem(root, options);
  return problem === undefined ? undefined : new UserError(`${source}:${problem.line}: ${problem.message}`);
}

/** A `--cfg` value (`network/model:SMPI`) naming what SimGrid lacks, as a UserError; undefined if fine. */
export function checkConfig(cfg: string): UserError | undefined {
  const colon = cfg.indexOf(':');
  const [name, value] = [cfg.slice(0, colon), cfg.slice(colon + 1)];
  const message = colon < 0 ? undefined : missingModel(name, value);
  return message === undefined ? undefined : new UserError(`${name} "${value}" (SimGrid configuration ${cfg}) ${message}`);
}

interface Problem {
  line: number;
  message: string;
}

function firstProblem(element: XmlElement, options: PlatformCheckOptions, parent?: XmlElement): Problem | undefined {
  const found =
    valueProblem(element, parent) ??
    profileProblem(element, options.directory) ??
    (parent?.name === 'config' ? configProblem(element) : undefined) ??
    (options.allowStateProfiles ? undefined : stateProblem(element));
  if (found !== undefined) return found;
  for (const child of element.children) {
    const inner = firstProblem(child, options, element);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function valueProblem(element: XmlElement, parent: XmlElement | undefined): Problem | undefined {
  const attributes = VALUES[element.name];
  if (attributes === undefined) return undefined;
  for (const [attribute, kind] of Object.entries(attributes)) {
    const text = element.attributes.get(attribute);
    if (text === undefined || (text === '' && OPTIONAL.has(attribute))) continue;
    const message = judge(element, parent, text, kind);
    if (message !== undefined) {
      return { line: element.attributeLines.get(attribute)!, message: `${describe(element)}: ${attribute}="${text}"${message}` };
    }
  }
  return undefined;
}

/** What is wrong with one attribute's text, as the end of a sentence that names it (" is zero: ..."); undefined if nothing. */
function judge(element: XmlElement, parent: XmlElement | undefined, text: string, kind: Kind): string | undefined {
  switch (kind) {
    case 'cores':
      return coresProblem(text);
    case 'pstate':
      return pstateProblem(text, parseSpeeds(element.attributes.get('speed') ?? ''));
    case 'speeds':
      return speedsProblem(element, text);
    case 'bandwidths':
      return bandwidthsProblem(parent, text);
    default: {
      const value = parseQuantity(text, QUANTITY[kind]);
      const why = value === undefined ? undefined : fault(value, kind === 'latency');
      return why === undefined ? undefined : ` is ${why}: ${REQUIREMENT[kind]}`;
    }
  }
}

/**
 * One speed per pstate. A pstate the host does not start in may have a speed
 * of zero (SimGrid's energy examples give one to booting and shutting down);
 * the one it starts in (its pstate attribute; 0 in a cluster) computes.
 */
function speedsProblem(element: XmlElement, text: string): string | undefined {
  const speeds = parseSpeeds(text);
  const pstate = parseInt32(element.attributes.get('pstate') ?? '0');
  const start = typeof pstate === 'number' && pstate >= 0 && pstate < speeds.length ? pstate : 0;
  for (const [i, speed] of speeds.entries()) {
    const why = speed.value === undefined ? undefined : fault(speed.value, i !== start);
    if (why === undefined) continue;
    if (speeds.length === 1) return ` is ${why}: ${REQUIREMENT.speed}`;
    const requirement =
      i === start
        ? `${element.name === 'cluster' ? 'its hosts start' : 'the host starts'} in pstate ${i}, whose speed must be positive and finite`
        : PSTATE_SPEED;
    return `: pstate ${i} (${speed.text}) is ${why}: ${requirement}`;
  }
  return undefined;
}

/**
 * A link's bandwidth. The link of a zone routed as Wifi has one per rate;
 * any other link has one (SimGrid aborts otherwise).
 */
function bandwidthsProblem(zone: XmlElement | undefined, text: string): string | undefined {
  const rates = parseBandwidths(text);
  if (rates.length > 1 && zone?.attributes.get('routing')?.toLowerCase() !== 'wifi') {
    return ` gives ${rates.length} bandwidths: only the link of a Wifi zone has several (one per rate)`;
  }
  for (const [i, rate] of rates.entries()) {
    const why = rate.value === undefined ? undefined : fault(rate.value, false);
    if (why !== undefined) return `${rates.length > 1 ? `: rate ${i} (${rate.text})` : ''} is ${why}: ${REQUIREMENT.bandwidth}`;
  }
  return undefined;
}

function fault(value: number, zeroAllowed: boolean): string | undefined {
  if (Number.isNaN(value)) return 'not a number';
  if (!Number.isFinite(value)) return 'infinite';
  if (value < 0) return 'negative';
  if (value === 0 && !zeroAllowed) return 'zero';
  return undefined;
}

function coresProblem(text: string): string | undefined {
  const cores = parseInt32(text);
  if (cores === 'out of range') return ` is out of range: ${CORE_COUNT}`;
  if (cores === undefined || cores >= 1) return undefined;
  return ` is ${cores === 0 ? 'zero' : 'negative'}: ${CORE_COUNT}`;
}

/** A host starts at its pstate, an index into its speeds (left to SimGrid if a speed does not parse). */
function pstateProblem(text: string, speeds: ListedValue[]): string | undefined {
  const pstate = parseInt32(text);
  if (pstate === undefined || speeds.some((speed) => speed.value === undefined)) return undefined;
  if (pstate !== 'out of range' && pstate >= 0 && pstate < speeds.length) return undefined;
  return ` names no pstate: ${speeds.length === 1 ? 'with one speed, the only pstate is 0' : `with ${speeds.length} speeds, the pstates are 0 to ${speeds.length - 1}`}`;
}

/** A value in a profile that SimGrid would abort on when the clock reaches it: in a file an attribute names, or in a <trace>. */
function profileProblem(element: XmlElement, directory: string | undefined): Problem | undefined {
  const files = element.name === 'trace' ? ['file'] : (PROFILE_FILES[element.name] ?? []);
  for (const attribute of files) {
    const name = element.attributes.get(attribute);
    const text = name === undefined || name === '' ? undefined : readProfile(name, directory);
    const fault = text === undefined ? undefined : profileFault(text);
    if (fault !== undefined) {
      const message = `${describe(element)}: ${attribute}="${name}": line ${fault.line} of the profile sets ${fault.value}, which is ${fault.why}: ${PROFILE_VALUES}`;
      return { line: element.attributeLines.get(attribute)!, message };
    }
  }
  if (element.name !== 'trace' || (element.attributes.get('file') ?? '') !== '') return undefined;
  const fault = profileFault(element.text);
  if (fault === undefined) return undefined;
  return { line: element.textLine + fault.line - 1, message: `${describe(element)}: ${fault.value} is ${fault.why}: ${PROFILE_VALUES}` };
}

/** A profile file, found where SimGrid looks (the current folder, then the platform's); undefined if it is not there (SimGrid says so). */
function readProfile(name: string, directory: string | undefined): string | undefined {
  const candidates = isAbsolute(name) ? [name] : [resolve(name), ...(directory === undefined ? [] : [join(directory, name)])];
  for (const candidate of candidates) {
    try {
      return readFileSync(candidate, 'utf8');
    } catch {
      // Not there: the next place, as SimGrid does.
    }
  }
  return undefined;
}

function configProblem(prop: XmlElement): Problem | undefined {
  const name = prop.attributes.get('id');
  const value = prop.attributes.get('value');
  if (prop.name !== 'prop' || name === undefined || value === undefined) return undefined;
  const message = missingModel(name, value);
  return message === undefined ? undefined : { line: prop.attributeLines.get('value')!, message: `${name} "${value}" ${message}` };
}

function missingModel(name: string, value: string): string | undefined {
  if (name !== 'network/model' || !MISSING_NETWORK_MODELS.has(value)) return undefined;
  return "is not available: simterpose's SimGrid is built without SMPI and ns-3 (the network models are LV08, CM02 and Constant)";
}

/** A state profile turns a host or link off and on: state_file, or a trace connected as HOST_AVAIL or LINK_AVAIL. */
function stateProblem(element: XmlElement): Problem | undefined {
  const stateFile = element.attributes.get('state_file');
  if ((element.name === 'host' || element.name === 'link' || element.name === 'peer') && stateFile !== undefined && stateFile !== '') {
    return { line: element.attributeLines.get('state_file')!, message: `${describe(element)}: state_file="${stateFile}": ${STATE_PROFILES}` };
  }
  if (element.name !== 'trace_connect') return undefined;
  // HOST_AVAIL is the DTD's default kind.
  const kind = element.attributes.get('kind') ?? 'HOST_AVAIL';
  if (kind !== 'HOST_AVAIL' && kind !== 'LINK_AVAIL') return undefined;
  const line = element.attributeLines.get('kind') ?? element.line;
  const target = element.attributes.get('element') ?? '';
  return { line, message: `trace_connect kind="${kind}" on '${target}': ${STATE_PROFILES}` };
}

function describe(element: XmlElement): string {
  const id = element.attributes.get('id');
  return id === undefined ? `<${element.name}>` : `${element.name} '${id}'`;
}
