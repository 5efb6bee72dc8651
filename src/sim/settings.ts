import { UserError } from '../errors.js';
import { MISSING_NETWORK_MODELS } from './platform-check.js';
import { parseXml, XmlSyntaxError } from './xml.js';

/**
 * SimGrid's configuration (its `--cfg=name:value` settings) as a run gets it,
 * from three places, each overriding the one before:
 *   1. simterpose's defaults (SIMTERPOSE_DEFAULTS), which differ from SimGrid's;
 *   2. the platform file's `<config>` element;
 *   3. the settings given to the run (`--cfg`, runExperiment's `cfg`).
 * SimGrid itself lets its command line win over a platform's `<config>`
 * (surfxml_sax_cb.cpp applies a `<config>` setting only while it is still at
 * its default), so 3 and 2 are handed to it as they are. A default of ours is
 * handed to it only when neither the platform nor the run sets that name:
 * given on SimGrid's command line, it would silence the platform's own.
 */

/** Where a setting came from. */
export type SettingOrigin = { kind: 'default' } | { kind: 'platform'; file: string; line: number } | { kind: 'cfg' };

export interface Setting {
  name: string;
  value: string;
  origin: SettingOrigin;
}

/**
 * A message of S bytes on a route of latency L and bandwidth B takes L + S/B,
 * the route as the platform describes it. SimGrid's default (LV08) multiplies
 * every latency by 13.01 and every bandwidth by 0.97, factors fitted to whole
 * MPI messages; its cross-traffic charges each flow 5% more on the links of
 * the way back (on a shared link, its own: 1.05 S/B); and network/TCP-gamma
 * caps a flow at 4 MiB / 2L (42 MB/s at 50 ms). Programs under simterpose
 * speak TCP themselves, whose windows and acknowledgements are modelled in
 * src/net, so none of the three belongs in the route.
 */
export const SIMTERPOSE_DEFAULTS: readonly { name: string; value: string }[] = [
  { name: 'network/model', value: 'CM02' },
  { name: 'network/crosstraffic', value: '0' },
  { name: 'network/TCP-gamma', value: '0' },
];

/** `name:value`, as SimGrid's --cfg takes it, split; a UserError naming `flag` if it is not that. */
export function parseSetting(text: string, flag = '--cfg'): { name: string; value: string } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UserError(`${flag} ${text}: a setting is NAME:VALUE, like network/model:LV08`, SETTINGS_HINT);
  const setting = { name: text.slice(0, colon), value: text.slice(colon + 1) };
  checkSetting(setting.name, setting.value, flag);
  return setting;
}

/** SimGrid splits its settings at blanks and commas: a name or value holding one would become two settings. */
export function checkSetting(name: string, value: string, flag = '--cfg'): void {
  if (name === '' || name.includes(':')) throw new UserError(`${flag}: '${name}' is not a setting's name`, SETTINGS_HINT);
  if (/[\s,]/.test(name) || /[\s,]/.test(value)) {
    throw new UserError(`${flag} ${name}:${value}: SimGrid reads blanks and commas as the end of a setting; give one setting per ${flag}`);
  }
}

export const SETTINGS_HINT = 'see https://simgrid.org/doc/latest/Configuring_SimGrid.html';

/** The settings of a platform's `<config>` elements, with their lines; none if the text is not XML SimGrid could read. */
export function platformSettings(text: string, file: string): Setting[] {
  let root: ReturnType<typeof parseXml>;
  try {
    root = parseXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) return [];
    throw error;
  }
  const settings: Setting[] = [];
  for (const config of root.children.filter((child) => child.name === 'config')) {
    for (const prop of config.children) {
      const name = prop.attributes.get('id');
      const value = prop.attributes.get('value');
      if (prop.name !== 'prop' || name === undefined || value === undefined) continue;
      settings.push({ name, value, origin: { kind: 'platform', file, line: prop.attributeLines.get('value') ?? prop.line } });
    }
  }
  return settings;
}

/**
 * Every setting that holds, in the order they are applied (defaults, platform,
 * run), a name set twice keeping its last: what `simterpose platform` shows.
 */
export function effectiveSettings(platform: readonly Setting[], run: readonly { name: string; value: string }[]): Setting[] {
  const byName = new Map<string, Setting>();
  for (const setting of [
    ...SIMTERPOSE_DEFAULTS.map((d) => ({ ...d, origin: { kind: 'default' } as const })),
    ...platform,
    ...run.map((r) => ({ ...r, origin: { kind: 'cfg' } as const })),
  ]) {
    byName.delete(setting.name);
    byName.set(setting.name, setting);
  }
  return [...byName.values()];
}

/** What SimGrid's command line gets: each effective setting that is not the platform's (SimGrid reads those itself). */
export function engineArguments(settings: readonly Setting[]): string[] {
  return settings.filter((s) => s.origin.kind !== 'platform').map((s) => `${s.name}:${s.value}`);
}

/** Where a setting came from, in words: "default", "platform.xml:4", "--cfg". */
export function describeOrigin(origin: SettingOrigin): string {
  switch (origin.kind) {
    case 'default':
      return 'simterpose default';
    case 'platform':
      return `${origin.file}:${origin.line} <config>`;
    case 'cfg':
      return '--cfg';
  }
}

/** A setting SimGrid refused, as one line naming it and where it came from. */
export function refusedSetting(setting: Setting, said: string): UserError {
  const where = setting.origin.kind === 'platform' ? `${setting.origin.file}:${setting.origin.line}: <config> ` : setting.origin.kind === 'cfg' ? '--cfg ' : '';
  const { why, hint } = translate(setting, said);
  return new UserError(`${where}${setting.name}:${setting.value}: ${why}`, hint);
}

/**
 * SimGrid's words for a refused setting (xbt/config.cpp, the model
 * registries), as a sentence about the setting. Its value parsers throw
 * "not a boolean", "invalid double"..., or abort on strtod's errno in
 * WebAssembly ("Unexpected errno: 28"), without naming the setting.
 */
function translate(setting: Setting, said: string): { why: string; hint?: string } {
  const unknown = /Bad config key: (\S+)/.exec(said);
  if (unknown !== null) {
    const known = [...said.matchAll(/^ {2}(\S+): \(/gm)].map((m) => m[1]!);
    const family = setting.name.includes('/') ? setting.name.slice(0, setting.name.indexOf('/') + 1) : undefined;
    const near = family === undefined ? [] : known.filter((name) => name.startsWith(family));
    const meant = /Did you mean '([^']+)'/.exec(said)?.[1];
    const hint = meant !== undefined ? `did you mean ${meant}?` : near.length > 0 ? `SimGrid's ${family} settings: ${near.join(', ')}` : SETTINGS_HINT;
    return { why: `SimGrid has no setting named ${unknown[1]}`, hint };
  }
  const model = /Model '([^']*)' is invalid! Valid models are: (.*?)\.?\s*$/m.exec(said);
  if (model !== null) {
    const models = model[2]!.split(', ').filter((name) => !MISSING_NETWORK_MODELS.has(name));
    return { why: `SimGrid has no model '${model[1]}' (its models: ${models.join(', ')})` };
  }
  if (/not a boolean/.test(said)) return { why: `'${setting.value}' is not a boolean (yes, no, on, off, true, false, 1 or 0)` };
  if (/invalid double|Unexpected errno/.test(said)) return { why: `'${setting.value}' is not a number` };
  if (/invalid integer/.test(said)) return { why: `'${setting.value}' is not a whole number` };
  if (/out of range|overflow|underflow/.test(said)) return { why: `'${setting.value}' is out of range` };
  return { why: `SimGrid refuses it: ${said.replace(/\s+/g, ' ').trim()}`, hint: SETTINGS_HINT };
}
