import { type Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { RUN_OPTIONS } from '../run-options.js';
import type { Simulation } from '../sim/index.js';
import { probeRoute } from '../sim/route-probe.js';
import { describeOrigin } from '../sim/settings.js';

interface PlatformOptions {
  routes?: [string, string];
}

/** `simterpose platform <platform.xml> [--routes A B]`: what SimGrid sees in a platform file. */
export function registerPlatform(program: Command): void {
  program
    .command('platform')
    .description(
      'List the hosts and links of a SimGrid platform file, the network model and the SimGrid settings in force (and where each comes from), and optionally the route between two hosts with its latency and bandwidth under that model.',
    )
    .argument('<platform.xml>', 'SimGrid platform file')
    .option('--routes <hosts...>', 'also print the route from host A to host B (give two host names)')
    .addOption(new Option(RUN_OPTIONS.cfg.flag, `${RUN_OPTIONS.cfg.help}; as \`simterpose run\` would take it`).argParser(RUN_OPTIONS.cfg.parse!))
    .action(async (file: string, options: { routes?: string[]; cfg?: Record<string, string> }) => {
      const routes = options.routes;
      if (routes !== undefined && routes.length !== 2) {
        throw new UserError(`--routes takes two host names, got ${routes.length}`, 'simterpose platform p.xml --routes A B');
      }
      // Describing a platform needs no run: hosts and links that turn off are listed as they are.
      const cfg = Object.entries(options.cfg ?? {}).map(([name, value]) => `${name}:${value}`);
      const { loadSimulation } = await import('../sim/index.js');
      const sim = await loadSimulation(file, { allowStateProfiles: true, cfg });
      process.stdout.write(describePlatform(sim, { routes: routes as [string, string] | undefined }));
    });
}

/** The text printed by `simterpose platform`. */
export function describePlatform(sim: Simulation, options: PlatformOptions = {}): string {
  const lines: string[] = [];
  const hosts = sim.hosts();
  lines.push(`hosts (${hosts.length}):`);
  const width = longest(hosts, 4);
  for (const h of hosts) {
    const props = Object.entries(h.properties)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const cores = `${h.cores} core${h.cores === 1 ? '' : 's'}`;
    lines.push(`  ${h.name.padEnd(width)}  ${formatUnit(h.speed, 'flop/s').padStart(12)}  ${cores.padStart(9)}${props ? `  ${props}` : ''}`);
  }
  const links = sim.links();
  lines.push(`links (${links.length}):`);
  const linkWidth = longest(links, 4);
  for (const l of links) {
    lines.push(`  ${l.name.padEnd(linkWidth)}  ${formatUnit(l.bandwidth, 'B/s').padStart(10)}  ${formatUnit(l.latency, 's').padStart(8)}  ${l.sharing}`);
  }
  const model = networkModel(sim);
  lines.push(`network model: ${model}`);
  lines.push("SimGrid settings (simterpose defaults, then the platform's <config>, then --cfg: the later wins):");
  const settingWidth = Math.max(...sim.settings.map((s) => s.name.length + s.value.length + 1));
  for (const s of sim.settings) lines.push(`  ${`${s.name}:${s.value}`.padEnd(settingWidth)}  ${describeOrigin(s.origin)}`);
  if (options.routes !== undefined) {
    const [a, b] = options.routes;
    const route = sim.route(a, b);
    lines.push(`route ${a} -> ${b}: latency ${formatUnit(route.latency, 's')}, ${route.links.length} link(s)`);
    for (const name of route.links) lines.push(`  ${name}`);
    const effective = probeRoute(sim, a, b);
    const bandwidth = Number.isFinite(effective.bandwidth) ? formatUnit(effective.bandwidth, 'B/s') : 'unlimited';
    lines.push(
      `  under ${model}: latency ${formatUnit(effective.latency, 's')}, bandwidth ${bandwidth} (what a message of S bytes takes: latency + S / bandwidth)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The network model in force: there is always a network/model setting, simterpose's default at least. */
function networkModel(sim: Simulation): string {
  return sim.settings.find((s) => s.name === 'network/model')!.value;
}

/** The longest name, at least `least` (no spread: a platform may have more hosts than a call has room for arguments). */
function longest(items: readonly { name: string }[], least: number): number {
  let width = least;
  for (const item of items) width = Math.max(width, item.name.length);
  return width;
}

const PREFIXES: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'u'],
  [1e-9, 'n'],
];

/** 1.25e9 -> "1.25 GB/s"; exact enough to recognise the value written in the file. */
export function formatUnit(value: number, unit: string): string {
  if (value === 0) return `0 ${unit}`;
  if (!Number.isFinite(value)) return `${value} ${unit}`;
  const [scale, prefix] = PREFIXES.find(([s]) => Math.abs(value) >= s) ?? PREFIXES[PREFIXES.length - 1]!;
  const scaled = Number((value / scale).toPrecision(6));
  return `${scaled} ${prefix}${unit}`;
}
