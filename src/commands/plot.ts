import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.js';

const DETAILS = `
The page is one file with everything in it (uPlot's script and style
inlined): it opens in any browser, with no network. It shows a row per host
with each process as a bar from its start to its end (blue: exited 0, red:
another status, purple: stopped by simterpose), each fault (--fault) as a
dashed line; the throughput of each link (payload bytes) and the CPU use of
each host (percent of its cores) over virtual time, from the report's usage
(the 12 busiest links and hosts of a larger platform).

Examples:
  simterpose run --report run.json platforms/two-hosts.xml deployment.xml
  simterpose plot run.json                 # writes run.html
  simterpose plot run.json --html /tmp/run-plot.html

Exit status: 0 once the page is written; 2 if the report is missing, is not
a report of simterpose run --report of version 5, or the page cannot be written.`;

/** Where the page goes by default: beside the report, its .json replaced by .html. */
export function defaultPagePath(reportPath: string): string {
  return `${reportPath.replace(/\.json$/i, '')}.html`;
}

/** `simterpose plot report.json [--html FILE]`: a self-contained HTML page of the run. */
export function registerPlot(program: Command): void {
  program
    .command('plot')
    .description('Draw a run from its report (--report): timeline of hosts and processes, link throughput, host CPU use, as one HTML page.')
    .argument('<report.json>', 'the report `simterpose run --report` wrote')
    .option('--html <file>', 'where to write the page (default: beside the report, its .json replaced by .html)')
    .addHelpText('after', DETAILS)
    .action(async (reportPath: string, options: { html?: string }) => {
      const [{ readReportFile }, { plotData }, { plotPage }] = await Promise.all([
        import('../plot/read-report.js'),
        import('../plot/extract.js'),
        import('../plot/page.js'),
      ]);
      const report = readReportFile(reportPath);
      const page = plotPage(plotData(report));
      const target = options.html ?? defaultPagePath(reportPath);
      try {
        writeFileSync(target, page);
      } catch (error) {
        throw new UserError(`cannot write ${target}: ${(error as Error).message}`);
      }
      process.stdout.write(`${target}\n`);
    });
}
