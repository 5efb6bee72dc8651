import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { UserError } from '../errors.js';

/**
 * A parameter study, as a sweep file describes it: one platform (and a
 * deployment, or a command), the parameters to vary, the seeds. Paths are
 * absolute once read (the file's own are relative to its folder).
 */
export interface SweepSpec {
  /** The sweep file, as given. */
  file: string;
  platform: string;
  deployment: string | undefined;
  /** The program and its arguments, for a sweep of one program (no deployment). */
  command: string[] | undefined;
  /** More `simterpose run` options, the same for every experiment (placeholders allowed). */
  options: string[];
  /** In the file's order: the first varies slowest. */
  parameters: Parameter[];
  seeds: number[];
  /** Extra `#SBATCH` options of `--emit slurm` (`--time=01:00:00`). */
  slurm: string[];
  kubernetes: KubernetesSettings;
}

/**
 * A parameter: its values, and what each sets. With `targets`, an attribute
 * of platform elements; with none, only the `{name}` placeholders of the
 * command, the deployment's arguments and the options (a program argument).
 */
export interface Parameter {
  name: string;
  targets: { element: string; attribute: string }[];
  values: string[];
}

/** What `--emit k8s` needs to know of the cluster. */
export interface KubernetesSettings {
  /** An image holding simterpose and the programs. */
  image: string;
  /** A PersistentVolumeClaim holding the sweep's folder, mounted at the same path in every pod. */
  volumeClaim: string;
  /** Pods at a time (default: every experiment at once, as the cluster allows). */
  parallelism: number | undefined;
}

/** Placeholders every experiment has besides its parameters. */
export const BUILT_IN_PLACEHOLDERS = ['seed', 'experiment'] as const;

const KEYS = ['platform', 'deployment', 'command', 'options', 'parameters', 'seeds', 'slurm', 'kubernetes'];
const PARAMETER_KEYS = ['element', 'attribute', 'values'];
const KUBERNETES_KEYS = ['image', 'volumeClaim', 'parallelism'];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads and checks a sweep file; every mistake is a one-line UserError naming the file and the key. */
export function readSweepFile(file: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read sweep file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0].line;
      throw new UserError(`${file}${line === undefined ? '' : `:${line}`}: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
  return checkSweep(document, file);
}

/** A sweep file's content, checked (exported for the unit tests, which give it objects). */
export function checkSweep(document: unknown, file: string): SweepSpec {
  const fail = (message: string, hint?: string): never => {
    throw new UserError(`${file}: ${message}`, hint);
  };
  const root = mapping(document, 'the sweep file', fail);
  unknownKeys(root, KEYS, '', fail);
  const folder = dirname(resolve(file));
  const path = (key: string): string | undefined => {
    const value = root[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') return fail(`${key} must be a file path`);
    return resolve(folder, value);
  };
  const platform = path('platform') ?? fail('no platform: name a SimGrid platform file', 'platform: platforms/two-hosts.xml');
  const deployment = path('deployment');
  const command = root['command'] === undefined ? undefined : words(root['command'], 'command', fail);
  if (command !== undefined && command.length === 0) fail('command is empty');
  if ((deployment === undefined) === (command === undefined)) {
    fail('give either a deployment or a command, not both nor neither', 'command: [./app, "{size}"]  or  deployment: deployment.xml');
  }
  const parametersNode = root['parameters'] === undefined ? {} : mapping(root['parameters'], 'parameters', fail);
  const parameters = Object.entries(parametersNode).map(([name, node]) => checkParameter(name, node, fail));
  return {
    file,
    platform,
    deployment,
    command,
    options: root['options'] === undefined ? [] : words(root['options'], 'options', fail),
    parameters,
    seeds: checkSeeds(root['seeds'], fail),
    slurm: root['slurm'] === undefined ? [] : words(root['slurm'], 'slurm', fail),
    kubernetes: checkKubernetes(root['kubernetes'], fail),
  };
}

type Fail = (message: string, hint?: string) => never;

function checkParameter(name: string, node: unknown, fail: Fail): Parameter {
  const where = `parameters.${name}`;
  if (!NAME.test(name)) fail(`${where}: a parameter's name is letters, digits and _ (it names a CSV column and a {placeholder})`);
  if ((BUILT_IN_PLACEHOLDERS as readonly string[]).includes(name)) fail(`${where}: '${name}' is reserved: {${name}} is every experiment's own`);
  // A bare list is a program argument's values.
  const fields = Array.isArray(node) ? { values: node } : mapping(node, where, fail);
  unknownKeys(fields, PARAMETER_KEYS, `${where}.`, fail);
  const values = fields['values'];
  if (!Array.isArray(values) || values.length === 0) return fail(`${where}.values must be a non-empty list`);
  const texts = values.map((value, i) => scalar(value, `${where}.values[${i}]`, fail));
  const duplicate = texts.find((text, i) => texts.indexOf(text) !== i);
  if (duplicate !== undefined) fail(`${where}.values lists ${duplicate} twice`);
  const element = fields['element'];
  const attribute = fields['attribute'];
  if ((element === undefined) !== (attribute === undefined)) {
    fail(`${where}: give both element and attribute (a platform attribute), or neither (a program argument)`, 'element: wire, attribute: bandwidth');
  }
  if (element === undefined) return { name, targets: [], values: texts };
  const elements = typeof element === 'string' ? [element] : words(element, `${where}.element`, fail);
  if (elements.length === 0 || elements.includes('')) fail(`${where}.element must be an element's id, or a list of ids`);
  if (typeof attribute !== 'string' || !/^[A-Za-z_][\w.:-]*$/.test(attribute)) fail(`${where}.attribute must be an XML attribute's name`);
  return { name, targets: elements.map((id) => ({ element: id, attribute: attribute as string })), values: texts };
}

/** `seeds: [1, 5, 9]`, or `seeds: N` for 0 to N-1; one seed, 0, by default. */
function checkSeeds(node: unknown, fail: Fail): number[] {
  if (node === undefined) return [0];
  const seed = (value: unknown, where: string): number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : fail(`${where} must be an integer from 0, not ${JSON.stringify(value)}`);
  if (typeof node === 'number') {
    const count = seed(node, 'seeds');
    if (count === 0) fail('seeds: 0 leaves no experiment');
    return Array.from({ length: count }, (_, i) => i);
  }
  if (!Array.isArray(node) || node.length === 0) return fail('seeds must be a non-empty list of integers, or a count');
  const seeds = node.map((value, i) => seed(value, `seeds[${i}]`));
  const duplicate = seeds.find((value, i) => seeds.indexOf(value) !== i);
  if (duplicate !== undefined) fail(`seeds lists ${duplicate} twice`);
  return seeds;
}

function checkKubernetes(node: unknown, fail: Fail): KubernetesSettings {
  const fields = node === undefined ? {} : mapping(node, 'kubernetes', fail);
  unknownKeys(fields, KUBERNETES_KEYS, 'kubernetes.', fail);
  const text = (key: string, otherwise: string): string => {
    const value = fields[key];
    if (value === undefined) return otherwise;
    return typeof value === 'string' && value !== '' ? value : fail(`kubernetes.${key} must be a string`);
  };
  const parallelism = fields['parallelism'];
  if (parallelism !== undefined && !(typeof parallelism === 'number' && Number.isSafeInteger(parallelism) && parallelism > 0)) {
    fail('kubernetes.parallelism must be a positive integer');
  }
  return { image: text('image', 'simterpose:latest'), volumeClaim: text('volumeClaim', 'simterpose-sweep'), parallelism: parallelism as number | undefined };
}

function mapping(node: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return fail(`${where} must be a mapping of keys to values`);
  return node as Record<string, unknown>;
}

function unknownKeys(fields: Record<string, unknown>, known: readonly string[], prefix: string, fail: Fail): void {
  const unknown = Object.keys(fields).find((key) => !known.includes(key));
  if (unknown !== undefined) fail(`unknown key ${prefix}${unknown}`, `the keys there are ${known.join(', ')}`);
}

/** A list of words: numbers are written as YAML would show them. */
function words(node: unknown, where: string, fail: Fail): string[] {
  if (!Array.isArray(node)) return fail(`${where} must be a list of words`, `${where}: [word, word]`);
  return node.map((value, i) => scalar(value, `${where}[${i}]`, fail));
}

function scalar(value: unknown, where: string, fail: Fail): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return fail(`${where} must be a string or a number, not ${JSON.stringify(value)}`);
}
