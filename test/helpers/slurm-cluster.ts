import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Debian programs a one-node Slurm cluster needs (slurm-wlm and munge; .ci/run installs them). */
export const SLURM_PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scontrol'];

/** Why this machine cannot start the test cluster, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  const missing = SLURM_PROGRAMS.filter((program) => spawnSync('which', [program], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) return `${missing.join(', ')} not installed; .ci/run installs slurm-wlm and munge`;
  // slurmd starts jobs as their users, and slurmstepd sets their credentials: only root may.
  if (process.getuid?.() !== 0) return 'slurmd must run as root';
  return undefined;
}

/** A one-node Slurm cluster of this machine's CPUs, its daemons children of this process. */
export interface SlurmCluster {
  folder: string;
  /** What Slurm's commands need in their environment (SLURM_CONF). */
  env: Record<string, string>;
  /** Runs a Slurm command and returns its stdout; a failure throws with its stderr. */
  command(args: string[]): string;
  stop(): Promise<void>;
}

const NODE = 'sweepnode';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts munged, slurmctld and slurmd in the foreground, with a minimal
 * slurm.conf in a temporary folder (ports free now, the munge key and
 * socket there too), and waits until the node is idle. Each task is bound
 * to the CPU it was given (task/affinity). A daemon that dies or a node
 * that never comes up throws with the end of the daemons' logs.
 */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  const folder = mkdtempSync(join(tmpdir(), 'slurm-'));
  // munged wants everyone able to reach its socket's folder.
  chmodSync(folder, 0o755);
  for (const sub of ['state', 'spool']) mkdirSync(join(folder, sub));
  const key = join(folder, 'munge.key');
  writeFileSync(key, randomBytes(1024));
  chmodSync(key, 0o400);
  const socket = join(folder, 'munge.sock');
  const [controllerPort, nodePort] = [await freePort(), await freePort()];
  const cpus = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  const conf = join(folder, 'slurm.conf');
  writeFileSync(
    conf,
    `ClusterName=simterpose-test
SlurmctldHost=${hostname()}(127.0.0.1)
SlurmctldPort=${controllerPort}
SlurmdPort=${nodePort}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
StateSaveLocation=${folder}/state
SlurmdSpoolDir=${folder}/spool
SlurmctldPidFile=${folder}/slurmctld.pid
SlurmdPidFile=${folder}/slurmd.pid
SlurmctldLogFile=${folder}/slurmctld.log
SlurmdLogFile=${folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=${NODE} NodeHostname=${hostname()} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`,
  );
  const env = { SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  let stopping = false;
  let died: string | undefined;
  const logs = ['munged.log', 'slurmctld.log', 'slurmd.log'].map((name) => join(folder, name));
  const tail = (): string =>
    logs
      .filter((log) => existsSync(log))
      .map((log) => `${log}:\n${readFileSync(log, 'utf8').trimEnd().split('\n').slice(-8).join('\n')}`)
      .join('\n');
  const start = (program: string, args: string[]): void => {
    const output = openSync(join(folder, `${program}.out`), 'w');
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', output, output] });
    child.on('exit', (code, signal) => {
      if (!stopping) died = `${program} exited (${code ?? signal}): ${readFileSync(join(folder, `${program}.out`), 'utf8').trim()}`;
    });
    daemons.push(child);
  };
  const stop = async (): Promise<void> => {
    stopping = true;
    // slurmd first, so that no job step is left; munged last, which the others talk to.
    for (const daemon of [...daemons].reverse()) {
      if (daemon.exitCode !== null || daemon.signalCode !== null) continue;
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    }
  };
  const command = (args: string[]): string => {
    const result = spawnSync(args[0]!, args.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr.trim()}\n${tail()}`);
    return result.stdout;
  };
  start('munged', [
    '--foreground',
    `--socket=${socket}`,
    `--key-file=${key}`,
    `--log-file=${folder}/munged.log`,
    `--seed-file=${folder}/munge.seed`,
    `--pid-file=${folder}/munged.pid`,
  ]);
  await until(
    () => existsSync(socket),
    () => died,
    tail,
  );
  start('slurmctld', ['-D', '-f', conf]);
  start('slurmd', ['-D', '-f', conf, '-N', NODE]);
  try {
    await until(
      () => spawnSync('sinfo', ['-h', '-n', NODE, '-o', '%T'], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim() === 'idle',
      () => died,
      tail,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { folder, env, command, stop };
}

/** Waits for `ready`, polling; throws what `failed` says as soon as it says something, or after 30 s. */
async function until(ready: () => boolean, failed: () => string | undefined, tail: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ready()) {
    const failure = failed();
    if (failure !== undefined) throw new Error(`the Slurm test cluster did not start: ${failure}\n${tail()}`);
    if (Date.now() > deadline) throw new Error(`the Slurm test cluster did not come up in 30 s\n${tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
