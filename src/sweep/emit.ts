import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { SIMTERPOSE_SCRIPT } from './local-runner.js';
import { EXPERIMENT_FILES, type PreparedExperiment } from './prepare.js';
import type { SweepSpec } from './sweep-file.js';

/** Single-quoted for bash: nothing inside is expanded. */
function quoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The bash that runs experiment number `$indexVariable` of the sweep in
 * `out`: into its folder, `simterpose` with the words of its run.args, its
 * output in its stdout and stderr. An experiment with a report (not one
 * marked interrupted) is not run again, so the job can be submitted anew
 * after a partial run. `$SIMTERPOSE` names another simterpose executable.
 */
function experimentScript(out: string, digits: number, indexVariable: string, simterpose: string[]): string {
  return `set -euo pipefail
if [ -n "\${SIMTERPOSE:-}" ]; then simterpose=("$SIMTERPOSE"); else simterpose=(${simterpose.map(quoted).join(' ')}); fi
folder=$(printf '%s/exp-%0${digits}d' ${quoted(resolve(out))} "$${indexVariable}")
cd "$folder"
if [ -f ${EXPERIMENT_FILES.report} ] && ! grep -q '"end": "interrupted"' ${EXPERIMENT_FILES.report}; then
  echo "$folder already has its report"
  exit 0
fi
mapfile -d '' args < ${EXPERIMENT_FILES.args}
# Where it ran, in the scheduler's log: the run takes one of the CPUs the task may use.
echo "$folder on $(hostname), $(grep Cpus_allowed_list /proc/self/status)"
exec "\${simterpose[@]}" "\${args[@]}" > ${EXPERIMENT_FILES.stdout} 2> ${EXPERIMENT_FILES.stderr}
`;
}

function digitsOf(experiments: readonly PreparedExperiment[]): number {
  return experiments[0]!.name.length - 'exp-'.length;
}

/**
 * A Slurm batch script: a job array with one task per experiment, each on
 * one CPU, running `simterpose run` in the experiment's folder. `jobs`
 * limits how many run at once (`--array=0-N%jobs`). The folder must be
 * where the cluster's nodes see it, at the same path.
 */
export function slurmScript(spec: SweepSpec, out: string, experiments: readonly PreparedExperiment[], jobs: number | undefined): string {
  const last = experiments.length - 1;
  const directives = [
    '--job-name=simterpose-sweep',
    `--array=0-${last}${jobs === undefined ? '' : `%${jobs}`}`,
    '--ntasks=1',
    '--cpus-per-task=1',
    `--output=${resolve(out)}/slurm-%A_%a.out`,
    ...spec.slurm,
  ];
  return `#!/bin/bash
# Written by \`simterpose sweep --emit slurm ${spec.file}\`: submit it with sbatch.
# Task N runs experiment N of ${resolve(out)} (exp-*/run.args); simterpose collect
# ${resolve(out)} then gathers the results.
${directives.map((directive) => `#SBATCH ${directive}`).join('\n')}
${experimentScript(out, digitsOf(experiments), 'SLURM_ARRAY_TASK_ID', [process.execPath, SIMTERPOSE_SCRIPT])}`;
}

/**
 * A Kubernetes Indexed Job: one completion per experiment, each pod on one
 * CPU running `simterpose` (from the image) in the experiment's folder,
 * which the volume claim holds at the same path as here. ptrace needs
 * SYS_PTRACE, and the seccomp filters simterpose installs an unconfined profile.
 */
export function kubernetesJob(spec: SweepSpec, out: string, experiments: readonly PreparedExperiment[], jobs: number | undefined): string {
  const folder = resolve(out);
  const { image, volumeClaim, parallelism } = spec.kubernetes;
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'simterpose-sweep' },
    spec: {
      completionMode: 'Indexed',
      completions: experiments.length,
      parallelism: jobs ?? parallelism ?? experiments.length,
      // One pod per experiment: a failed run is a result, not a reason to try it again.
      backoffLimitPerIndex: 0,
      maxFailedIndexes: experiments.length,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'experiment',
              image,
              command: ['bash', '-c', experimentScript(out, digitsOf(experiments), 'JOB_COMPLETION_INDEX', ['simterpose'])],
              resources: { requests: { cpu: '1' }, limits: { cpu: '1' } },
              securityContext: { capabilities: { add: ['SYS_PTRACE'] }, seccompProfile: { type: 'Unconfined' } },
              volumeMounts: [{ name: 'sweep', mountPath: folder }],
            },
          ],
          volumes: [{ name: 'sweep', persistentVolumeClaim: { claimName: volumeClaim } }],
        },
      },
    },
  };
  return `# Written by \`simterpose sweep --emit k8s ${spec.file}\`: kubectl apply -f it.\n${stringify(job)}`;
}
