/**
 * The values of a SimGrid platform file as SimGrid 3.32 reads them
 * (src/xbt/xbt_parse_units.cpp and std::stoi in src/surf/xml/surfxml_sax_cb.cpp):
 * a number as strtod reads it, then a unit from a fixed table. Each parser
 * returns undefined where SimGrid itself refuses the text (no number, an
 * unknown unit, a value out of range), so that SimGrid's own message names
 * the mistake; what they return is exactly the value SimGrid would use.
 */

export type Quantity = 'speed' | 'bandwidth' | 'time';

const DECIMAL = [
  ['k', 'kilo'],
  ['M', 'mega'],
  ['G', 'giga'],
  ['T', 'tera'],
  ['P', 'peta'],
  ['E', 'exa'],
  ['Z', 'zeta'],
  ['Y', 'yotta'],
] as const;
const BINARY = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'] as const;

/** A unit with SimGrid's prefixes: `abbreviated` takes k, M... (and Ki, Mi... if `binary`), else kilo, mega... */
function scaled(table: Map<string, number>, unit: string, value: number, abbreviated: boolean, binary: boolean): void {
  const add = (name: string, v: number) => {
    if (!table.has(name)) table.set(name, v);
  };
  add(unit, value);
  let decimal = value;
  for (const [short, long] of DECIMAL) {
    decimal *= 1000;
    add((abbreviated ? short : long) + unit, decimal);
  }
  if (!binary) return;
  let power = value;
  for (const prefix of BINARY) {
    power *= 1024;
    add(prefix + unit, power);
  }
}

const UNITS: Record<Quantity, { table: Map<string, number>; unitless: string }> = {
  speed: { table: new Map(), unitless: 'f' },
  bandwidth: { table: new Map(), unitless: 'Bps' },
  time: {
    table: new Map([
      ['w', 7 * 24 * 60 * 60],
      ['d', 24 * 60 * 60],
      ['h', 60 * 60],
      ['m', 60],
      ['s', 1],
      ['ms', 1e-3],
      ['us', 1e-6],
      ['ns', 1e-9],
      ['ps', 1e-12],
    ]),
    unitless: 's',
  },
};
scaled(UNITS.speed.table, 'f', 1, true, false);
scaled(UNITS.speed.table, 'flops', 1, false, false);
scaled(UNITS.bandwidth.table, 'bps', 0.125, true, true);
scaled(UNITS.bandwidth.table, 'Bps', 1, true, true);

/** strtod's decimal and hexadecimal numbers, infinities and NaNs, after C's white space. */
const NUMBER =
  /^[ \t\n\v\f\r]*([+-]?)(?:(inf(?:inity)?)|(nan(?:\([0-9A-Za-z_]*\))?)|0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))/i;

/** The smallest normal double: SimGrid's libc reports anything smaller, but zero, as out of range. */
const MIN_NORMAL = 2.2250738585072014e-308;

/** strtod: the number at the start of `text` and the rest, or undefined where SimGrid gets an error. */
export function strtod(text: string): { value: number; rest: string } | undefined {
  const m = NUMBER.exec(text);
  if (m === null) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const rest = text.slice(m[0].length);
  if (m[2] !== undefined) return { value: sign * Infinity, rest };
  if (m[3] !== undefined) return { value: Number.NaN, rest };
  const magnitude = m[4] !== undefined ? hexFloat(m[4]) : Number(m[5]);
  const zero = m[4] !== undefined ? !/[1-9a-fA-F]/.test(m[4].replace(/[pP].*$/, '')) : !/[1-9]/.test(m[5]!.replace(/[eE].*$/, ''));
  // errno = ERANGE: SimGrid says "value out of range".
  if (!Number.isFinite(magnitude) || (!zero && magnitude < MIN_NORMAL)) return undefined;
  return { value: sign * magnitude, rest };
}

function hexFloat(text: string): number {
  const [mantissa, exponent] = text.split(/[pP]/) as [string, string | undefined];
  const [whole, fraction = ''] = mantissa.split('.') as [string, string | undefined];
  const digits = `${whole}${fraction}`;
  let value = 0;
  for (const digit of digits) value = value * 16 + Number.parseInt(digit, 16);
  return value * 2 ** (Number(exponent ?? 0) - 4 * fraction.length);
}

/** A speed (flop/s), bandwidth (bytes/s) or time (s) with its unit, as SimGrid reads it; unit-less is f, Bps or s. */
export function parseQuantity(text: string, quantity: Quantity): number | undefined {
  const number = strtod(text);
  if (number === undefined) return undefined;
  const { table, unitless } = UNITS[quantity];
  const scale = table.get(number.rest === '' ? unitless : number.rest);
  return scale === undefined ? undefined : number.value * scale;
}

/** One value of a list, with its text. */
export interface ListedValue {
  text: string;
  value: number | undefined;
}

/** Comma-separated speeds, one per pstate, each trimmed (xbt_parse_get_all_speeds). */
export function parseSpeeds(text: string): ListedValue[] {
  return text.split(',').map((speed) => ({ text: speed.trim(), value: parseQuantity(speed.trim(), 'speed') }));
}

/** Bandwidths separated by ';' or ',' (a WIFI link has one per rate), not trimmed (xbt_parse_get_bandwidths). */
export function parseBandwidths(text: string): ListedValue[] {
  return text.split(/[;,]/).map((bandwidth) => ({ text: bandwidth, value: parseQuantity(bandwidth, 'bandwidth') }));
}

/** std::stoi: an int at the start of the text after white space; what follows is ignored. */
export function parseInt32(text: string): number | 'out of range' | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (m === null) return undefined;
  const value = Number(m[1]);
  return value > 2 ** 31 - 1 || value < -(2 ** 31) ? 'out of range' : value;
}
