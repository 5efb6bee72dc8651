import { UserError } from '../errors.js';
import { BUILT_IN_PLACEHOLDERS, type SweepSpec } from './sweep-file.js';

/** One point of the grid: a value for every parameter, and a seed. */
export interface Experiment {
  /** 0, 1, 2...: the Slurm array index and the Kubernetes completion index. */
  index: number;
  /** Its folder's name: exp-0007. */
  name: string;
  /** Parameter name to value, in the sweep file's order. */
  values: Record<string, string>;
  seed: number;
}

/**
 * Every combination of the parameters' values, times every seed: the first
 * parameter varies slowest, the seed fastest, so the experiments of one
 * point of the grid sit side by side.
 */
export function expandGrid(spec: Pick<SweepSpec, 'parameters' | 'seeds'>): Experiment[] {
  let points: Record<string, string>[] = [{}];
  for (const parameter of spec.parameters) {
    points = points.flatMap((point) => parameter.values.map((value) => ({ ...point, [parameter.name]: value })));
  }
  const total = points.length * spec.seeds.length;
  const digits = Math.max(4, String(total - 1).length);
  const experiments: Experiment[] = [];
  for (const values of points) {
    for (const seed of spec.seeds) {
      const index = experiments.length;
      experiments.push({ index, name: `exp-${String(index).padStart(digits, '0')}`, values, seed });
    }
  }
  return experiments;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The names of the placeholders a word holds. */
export function placeholdersIn(word: string): string[] {
  return [...word.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/** `word` with each `{name}` replaced by the experiment's value (`{seed}`: its seed, `{experiment}`: its folder's name). */
export function substitute(word: string, experiment: Experiment): string {
  return word.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'seed') return String(experiment.seed);
    if (name === 'experiment') return experiment.name;
    return experiment.values[name] ?? whole;
  });
}

/**
 * Checks the placeholders of the words a sweep substitutes in (command,
 * options, deployment arguments): each must name a parameter, and each
 * parameter that sets no platform attribute must be used somewhere, or it
 * would only multiply identical experiments.
 */
export function checkPlaceholders(spec: SweepSpec, deploymentArguments: readonly string[]): void {
  const known = new Set<string>([...BUILT_IN_PLACEHOLDERS, ...spec.parameters.map((p) => p.name)]);
  const used = new Set<string>();
  const places: [string, readonly string[]][] = [
    ['command', spec.command ?? []],
    ['options', spec.options],
    ['the deployment', deploymentArguments],
  ];
  for (const [place, words] of places) {
    for (const word of words) {
      for (const name of placeholdersIn(word)) {
        if (!known.has(name))
          throw new UserError(`${spec.file}: ${place} uses {${name}}, which is no parameter`, `the parameters are ${[...known].join(', ')}`);
        used.add(name);
      }
    }
  }
  const idle = spec.parameters.find((p) => p.targets.length === 0 && !used.has(p.name));
  if (idle !== undefined) {
    throw new UserError(
      `${spec.file}: parameter ${idle.name} sets no platform attribute and no {${idle.name}} uses it`,
      `give it element and attribute, or write {${idle.name}} in the command, the options or a deployment argument`,
    );
  }
}
