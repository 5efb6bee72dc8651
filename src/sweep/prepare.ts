import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { loadSimulationFromString } from '../sim/index.js';
import { parseDeploymentText } from '../sim/deployment.js';
import { checkPlaceholders, expandGrid, substitute, type Experiment } from './expand.js';
import { checkRunWords } from './run-words.js';
import type { SweepSpec } from './sweep-file.js';
import { applyChanges, startTags, type AttributeChange, type StartTag } from './xml-edit.js';

/** The files of an experiment's folder, by role. */
export const EXPERIMENT_FILES = {
  platform: 'platform.xml',
  deployment: 'deployment.xml',
  params: 'params.json',
  /** The words after `simterpose` that run it, NUL-separated (bash's `mapfile -d ''` reads them). */
  args: 'run.args',
  report: 'report.json',
  stdout: 'stdout',
  stderr: 'stderr',
} as const;

/** What params.json holds: the experiment's point of the grid, and how it is run. */
export interface ExperimentParams {
  experiment: string;
  index: number;
  parameters: Record<string, string>;
  seed: number;
  /** The words after `simterpose`, run in the experiment's folder. */
  run: string[];
}

/** An experiment once its folder is written. */
export interface PreparedExperiment extends Experiment {
  folder: string;
  params: ExperimentParams;
}

/** Options only the sweep sets, for every experiment alike. */
const SWEEP_OWNED_OPTIONS = ['--seed', '--report', '--cpu'];

/** Tags that carry an `id` without defining an element: a property, a route's reference to a link. */
const REFERENCE_TAGS = new Set(['prop', 'link_ctn', 'model_prop']);

/**
 * Writes every experiment's folder under `out` (platform, deployment,
 * params.json, run.args) after checking each distinct platform with SimGrid
 * and the deployment against its hosts: a mistake shows before any run. A
 * folder that already holds a report is left as it is; one that holds
 * another sweep's experiment is refused.
 */
export async function prepareSweep(spec: SweepSpec, out: string): Promise<PreparedExperiment[]> {
  for (const option of spec.options) {
    const flag = option.split('=')[0]!;
    if (SWEEP_OWNED_OPTIONS.includes(flag)) throw new UserError(`${spec.file}: options: ${flag} is the sweep's to set`, 'seeds: [..] gives the seeds');
  }
  const platformText = readInput(spec.platform, 'platform');
  const platformTags = startTags(platformText);
  const targets = new Map(
    spec.parameters.map((p) => [p.name, p.targets.map((t) => ({ tag: findElement(platformTags, t.element, spec), attribute: t.attribute }))]),
  );
  const deployment = spec.deployment === undefined ? undefined : readDeployment(spec.deployment);
  checkPlaceholders(spec, deployment?.arguments.map((tag) => tag.attributes.get('value')!.value) ?? []);

  // Everything is checked before any folder is written: a mistake leaves nothing to clear up.
  const checked = new Map<string, Promise<void>>();
  const planned: { experiment: Experiment; platform: string; deployment: string | undefined; params: ExperimentParams }[] = [];
  for (const experiment of expandGrid(spec)) {
    const changes: AttributeChange[] = [];
    for (const [name, value] of Object.entries(experiment.values)) {
      for (const target of targets.get(name)!) changes.push({ tag: target.tag, attribute: target.attribute, value });
    }
    const platform = applyChanges(platformText, changes);
    const deploymentText = deployment === undefined ? undefined : deploymentFor(deployment, experiment);
    const key = `${platform}\0${deploymentText ?? ''}`;
    if (!checked.has(key)) checked.set(key, checkInputs(platform, deploymentText, experiment, spec));
    await checked.get(key);
    const run = runWords(experiment, spec, deploymentText !== undefined);
    checkRunWords(run, `${spec.file}: options of ${experiment.name}`);
    const params = { experiment: experiment.name, index: experiment.index, parameters: experiment.values, seed: experiment.seed, run };
    planned.push({ experiment, platform, deployment: deploymentText, params });
  }
  checkFolderIsOurs(
    out,
    planned.map((plan) => plan.params),
  );
  mkdirSync(out, { recursive: true });
  return planned.map((plan) => writeExperiment(out, plan.experiment, plan.params, plan.platform, plan.deployment));
}

function readInput(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read the ${what} file ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** The one element of the platform whose id is `id`. */
function findElement(tags: readonly StartTag[], id: string, spec: SweepSpec): StartTag {
  const found = tags.filter((tag) => !REFERENCE_TAGS.has(tag.name) && tag.attributes.get('id')?.value === id);
  if (found.length === 0) throw new UserError(`${spec.file}: the platform ${spec.platform} has no element with id '${id}'`);
  if (found.length > 1)
    throw new UserError(
      `${spec.file}: the platform ${spec.platform} has ${found.length} elements with id '${id}' (${found.map((t) => `<${t.name}>`).join(', ')})`,
    );
  return found[0]!;
}

interface DeploymentTemplate {
  text: string;
  file: string;
  arguments: StartTag[];
  /** Program paths, relative to the deployment's folder: made absolute, as the experiment's copy sits elsewhere. */
  functions: StartTag[];
}

function readDeployment(file: string): DeploymentTemplate {
  const text = readInput(file, 'deployment');
  const tags = startTags(text);
  return {
    text,
    file,
    arguments: tags.filter((tag) => tag.name === 'argument' && tag.attributes.has('value')),
    functions: tags.filter((tag) => (tag.name === 'actor' || tag.name === 'process') && tag.attributes.get('function')?.value.includes('/') === true),
  };
}

function deploymentFor(template: DeploymentTemplate, experiment: Experiment): string {
  const changes: AttributeChange[] = [];
  for (const tag of template.arguments) {
    const value = tag.attributes.get('value')!.value;
    const substituted = substitute(value, experiment);
    if (substituted !== value) changes.push({ tag, attribute: 'value', value: substituted });
  }
  for (const tag of template.functions) {
    const program = tag.attributes.get('function')!.value;
    if (!isAbsolute(program)) changes.push({ tag, attribute: 'function', value: resolve(dirname(template.file), program) });
  }
  return applyChanges(template.text, changes);
}

/** SimGrid reads the platform, and the deployment's hosts must be among its hosts. */
async function checkInputs(platform: string, deployment: string | undefined, experiment: Experiment, spec: SweepSpec): Promise<void> {
  const point = Object.entries(experiment.values)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const where = `${spec.file}: ${experiment.name}${point === '' ? '' : ` (${point})`}`;
  try {
    const sim = await loadSimulationFromString(platform, { allowStateProfiles: true });
    if (deployment !== undefined) {
      parseDeploymentText(
        deployment,
        spec.deployment!,
        sim.hosts().map((host) => host.name),
      );
    }
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${where}: ${error.message}`);
    throw error;
  }
}

function paramsText(params: ExperimentParams): string {
  return `${JSON.stringify(params, null, 2)}\n`;
}

/** Refuses a sweep folder that holds experiments of another sweep: a different params.json, or one this grid does not have. */
function checkFolderIsOurs(out: string, params: readonly ExperimentParams[]): void {
  if (!existsSync(out)) return;
  const ours = new Map(params.map((p) => [p.experiment, p]));
  const hint = 'give the sweep a new output folder, or remove that one';
  for (const entry of readdirSync(out, { withFileTypes: true })) {
    const file = join(out, entry.name, EXPERIMENT_FILES.params);
    if (!entry.isDirectory() || !entry.name.startsWith('exp-') || !existsSync(file)) continue;
    const mine = ours.get(entry.name);
    if (mine === undefined) throw new UserError(`${join(out, entry.name)} holds an experiment of another sweep (this one has no ${entry.name})`, hint);
    if (readFileSync(file, 'utf8') !== paramsText(mine))
      throw new UserError(`${join(out, entry.name)} holds an experiment of another sweep (its params.json differs)`, hint);
  }
}

/** Writes an experiment's folder, unless it holds a report already: that one is done. */
function writeExperiment(out: string, experiment: Experiment, params: ExperimentParams, platform: string, deployment: string | undefined): PreparedExperiment {
  const folder = join(out, experiment.name);
  mkdirSync(folder, { recursive: true });
  if (!existsSync(join(folder, EXPERIMENT_FILES.report))) {
    writeFileSync(join(folder, EXPERIMENT_FILES.platform), platform);
    if (deployment !== undefined) writeFileSync(join(folder, EXPERIMENT_FILES.deployment), deployment);
    writeFileSync(join(folder, EXPERIMENT_FILES.args), params.run.map((word) => `${word}\0`).join(''));
    writeFileSync(join(folder, EXPERIMENT_FILES.params), paramsText(params));
  }
  return { ...experiment, folder, params };
}

/** `run [options] --seed S --report report.json platform.xml (deployment.xml | -- program args)`, paths relative to the experiment's folder. */
function runWords(experiment: Experiment, spec: SweepSpec, withDeployment: boolean): string[] {
  const words = ['run', ...spec.options.map((word) => substitute(word, experiment))];
  words.push('--seed', String(experiment.seed), '--report', EXPERIMENT_FILES.report, EXPERIMENT_FILES.platform);
  if (withDeployment) return [...words, EXPERIMENT_FILES.deployment];
  const [program, ...args] = spec.command!.map((word) => substitute(word, experiment));
  // A path is the sweep file's; a bare name is looked up on PATH, as a shell would.
  const executable = program!.includes('/') ? resolve(dirname(resolve(spec.file)), program!) : program!;
  return [...words, '--', executable, ...args];
}
