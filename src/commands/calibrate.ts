import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumber } from '../run-options.js';

/** `simterpose calibrate`: the --reference-speed that makes the cputime model charge as the instructions model would. */
export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description("Measure this machine's speed, for `run --cpu-model cputime --reference-speed`; the next cputime run measures again what a ptrace stop costs.")
    .addOption(new Option('--seconds <s>', 'CPU seconds to measure for').argParser(parseNumber).default(1))
    .addOption(new Option('--flops-per-instruction <n>', 'flops one instruction counts for, as in `run`').argParser(parseNumber).default(1))
    .option('--json', 'machine-readable output')
    .action(async (options: { seconds: number; flopsPerInstruction: number; json?: boolean }) => {
      if (!(options.seconds > 0 && options.seconds <= 60)) throw new UserError(`--seconds ${options.seconds}: give a duration between 0 and 60`);
      // Loaded here, not at every start of the CLI: the CPU model loads the addon.
      const [{ calibrate }, { forgetStopCosts }] = await Promise.all([import('../mediator/host/cpu-model.js'), import('../mediator/host/stop-cost-cache.js')]);
      const result = calibrate(options.seconds, options.flopsPerInstruction);
      // A new measurement of this machine: what a stop costs is measured again too, by the next cputime run.
      forgetStopCosts();
      const speed = result.referenceSpeed.toPrecision(3).replace('e+', 'e');
      process.stdout.write(
        options.json === true
          ? `${JSON.stringify({ ...result, flopsPerInstruction: options.flopsPerInstruction })}\n`
          : `this machine retires ${result.instructionsPerSecond.toPrecision(3).replace('e+', 'e')} instructions per CPU second (dependent adds, ${result.cpuSeconds.toFixed(2)} s measured)\n` +
              `reference speed: ${speed} flops per CPU second at ${options.flopsPerInstruction} flop(s) per instruction\n` +
              `use: simterpose run --cpu-model cputime --reference-speed ${speed} ...\n`,
      );
    });
}
