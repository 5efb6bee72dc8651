import { describe, expect, it } from 'vitest';
import { defaultPagePath } from '../../src/commands/plot.js';
import { MAX_SERIES, cpuChart, hostRows, plotData, throughputChart } from '../../src/plot/extract.js';
import { reportProblem } from '../../src/plot/read-report.js';
import { tickStep, timelineSvg } from '../../src/plot/timeline-svg.js';
import type { ProcessReport, RunReport } from '../../src/report/types.js';

function process(fields: Partial<ProcessReport> & Pick<ProcessReport, 'host' | 'pid' | 'start' | 'end'>): ProcessReport {
  return {
    parent: null,
    command: '/usr/bin/app',
    exit: { code: 0 },
    status: 0,
    stopped: null,
    cpuTime: 0,
    bytesSent: 0,
    bytesReceived: 0,
    ...fields,
  };
}

/** A report as `simterpose run --report` writes it, with what a test gives. */
function report(fields: Partial<RunReport> = {}): RunReport {
  return {
    version: 5,
    run: {
      simterpose: '0.1.0',
      commandLine: null,
      options: {},
      command: ['./app', 'arg'],
      seed: 0,
      cpuModel: { model: 'none', flopsPerInstruction: 1, referenceSpeed: 1e9, threshold: 1e5 },
      addressRandomizationDisabled: true,
      simgrid: [],
      platform: { path: 'platforms/two-hosts.xml', sha256: '0' },
      deployment: null,
    },
    end: 'completed',
    virtualTime: 0.01,
    exitCode: 0,
    hosts: [],
    links: [],
    processes: [],
    faults: [],
    migrations: [],
    usage: { interval: 0.004, hosts: [], links: [] },
    ...fields,
  };
}

const hostTotal = (name: string) => ({ name, processes: 0, cpuTime: 0, bytesSent: 0, bytesReceived: 0 });

describe('the timeline of `simterpose plot`', () => {
  it('has a row per host of the report in its order, even one where no process ran, then hosts only processes name', () => {
    const rows = hostRows({
      hosts: [hostTotal('alice'), hostTotal('router')],
      processes: [process({ host: 'bob', pid: 1000, start: 0, end: 1 }), process({ host: 'alice', pid: 1000, start: 0, end: 1 })],
    });
    expect(rows.map((row) => [row.host, row.lanes.length])).toEqual([
      ['alice', 1],
      ['router', 0],
      ['bob', 1],
    ]);
  });

  it('puts a process in the first lane free at its start, so that a row is as tall as the most processes alive at once', () => {
    const rows = hostRows({
      hosts: [hostTotal('alice')],
      processes: [
        process({ host: 'alice', pid: 1000, start: 0, end: 5 }),
        process({ host: 'alice', pid: 1001, start: 1, end: 2 }),
        process({ host: 'alice', pid: 1002, start: 2, end: 3 }),
        process({ host: 'alice', pid: 1003, start: 2.5, end: 6 }),
        process({ host: 'alice', pid: 1004, start: 5, end: 7 }),
      ],
    });
    expect(rows[0]!.lanes.map((lane) => lane.map((bar) => bar.pid))).toEqual([[1000, 1004], [1001, 1002], [1003]]);
  });

  it('tells how each process ended: status 0, another status, or stopped by simterpose whatever its status', () => {
    const [row] = hostRows({
      hosts: [hostTotal('alice')],
      processes: [
        process({ host: 'alice', pid: 1, start: 0, end: 1 }),
        process({ host: 'alice', pid: 2, start: 0, end: 1, exit: { code: 3 }, status: 3 }),
        process({ host: 'alice', pid: 3, start: 0, end: 1, exit: { signal: 11, core: true }, status: 139 }),
        process({ host: 'alice', pid: 4, start: 0, end: 1, exit: { signal: 9, core: false }, status: 137, stopped: 'stop-time' }),
      ],
    });
    const bars = row!.lanes.flat();
    expect(bars.map((bar) => bar.outcome)).toEqual(['succeeded', 'failed', 'failed', 'stopped']);
    expect(bars.map((bar) => bar.command)).toEqual(['app', 'app', 'app', 'app']);
    expect(bars[2]!.detail).toBe('/usr/bin/app 3 on alice: 0 s to 1 s, signal 11 (core)');
    expect(bars[3]!.detail).toBe('/usr/bin/app 4 on alice: 0 s to 1 s, signal 9, stopped (stop-time)');
  });

  it('draws a row per host, a bar per process, a dashed line per fault, and escapes what programs and hosts are named', () => {
    const rows = hostRows({
      hosts: [hostTotal('a<b'), hostTotal('c')],
      processes: [process({ host: 'a<b', pid: 7, start: 0, end: 10, command: '/bin/"x"&y' })],
    });
    const svg = timelineSvg(rows, [{ date: 5, fault: 'host c off' }], 10);
    expect([...svg.matchAll(/<g class="host-row" data-host="([^"]*)"/g)].map((m) => m[1])).toEqual(['a&#60;b', 'c']);
    expect(svg.match(/<g class="process succeeded">/g)).toHaveLength(1);
    expect(svg).toContain('<title>/bin/&#34;x&#34;&#38;y 7 on a&#60;b: 0 s to 10 s, exit 0</title>');
    expect(svg).toMatch(/<g class="fault"><title>host c off at 5 s<\/title><line x1="(\d+(\.\d+)?)" [^>]*\/><text x="\1"/);
    expect(svg).not.toContain('<script');
  });

  it('numbers its axis in steps of 1, 2 or 5 times a power of ten, about ten of them', () => {
    expect([0.3, 1, 7, 45, 3600].map(tickStep)).toEqual([0.05, 0.1, 1, 5, 500]);
  });
});

describe('the charts of `simterpose plot`', () => {
  const usage = {
    interval: 0.004,
    hosts: [
      { name: 'alice', cores: 2, cpuTime: [0.004, 0.002, 0] },
      { name: 'bob', cores: 1, cpuTime: [0, 0.001, 0.004] },
    ],
    links: [{ name: 'wire', bandwidth: 1e7, bytes: [0, 40_000, 20_000] }],
  };
  const run = report({ virtualTime: 0.011, usage });

  it('gives a link its payload per second over each interval, in the decimal unit that fits the highest, the last value held to the run end', () => {
    expect(throughputChart(run)).toEqual({ unit: 'MB/s', x: [0, 0.004, 0.008, 0.011], series: [{ name: 'wire', values: [0, 10, 5, 5] }], of: 1 });
    const slow = report({ virtualTime: 0.011, usage: { ...usage, links: [{ name: 'modem', bandwidth: 1e3, bytes: [0, 2, 0] }] } });
    expect(throughputChart(slow).unit).toBe('B/s');
    expect(throughputChart(slow).series[0]!.values).toEqual([0, 500, 0, 0]);
  });

  it('gives a host the share of its cores that computed in each interval, in percent', () => {
    const chart = cpuChart(run);
    expect(chart.unit).toBe('% of its cores');
    expect(chart.series.map((s) => [s.name, s.values.map((v) => Math.round(v))])).toEqual([
      ['alice', [50, 25, 0, 0]],
      ['bob', [0, 25, 100, 100]],
    ]);
  });

  it('draws only the busiest links and hosts of a large platform, in the report order, and says of how many', () => {
    const count = MAX_SERIES + 5;
    // Link i carried i bytes, host i computed for i ms on i cores: the busiest links are the last, the busiest hosts carry the most per core.
    const links = Array.from({ length: count }, (_, i) => ({ name: `link-${i}`, bandwidth: 1e9, bytes: [i] }));
    const hosts = Array.from({ length: count }, (_, i) => ({ name: `node-${i}`, cores: i < 5 ? 1 : 100, cpuTime: [i / 1000] }));
    const large = report({ virtualTime: 0.004, usage: { interval: 0.004, hosts, links } });
    const throughput = throughputChart(large);
    expect(throughput.of).toBe(count);
    expect(throughput.series.map((s) => s.name)).toEqual(links.slice(5).map((link) => link.name));
    const cpu = cpuChart(large);
    expect(cpu.of).toBe(count);
    // node-1 to node-4 (1 core) use more of their cores than any 100-core host except the busiest.
    expect(cpu.series.map((s) => s.name)).toEqual(['node-1', 'node-2', 'node-3', 'node-4', ...hosts.slice(count - MAX_SERIES + 4).map((host) => host.name)]);
  });

  it('has no series where the report has no link, and says what ran where in its title', () => {
    const data = plotData(report());
    expect(data.throughput.series).toEqual([]);
    expect(data.title).toBe('./app arg on platforms/two-hosts.xml');
    const deployed = plotData(report({ run: { ...report().run, command: null, deployment: { path: 'd.xml', sha256: '0' } } }));
    expect(deployed.title).toBe('d.xml on platforms/two-hosts.xml');
  });
});

describe('what `simterpose plot` reads', () => {
  it('takes a report of version 5', () => {
    expect(reportProblem(JSON.parse(JSON.stringify(report())))).toBeUndefined();
  });

  it('names the first thing that keeps a file from being a report it can draw', () => {
    expect(reportProblem([])).toBe('it has no version');
    expect(reportProblem({ version: 3 })).toMatch(/^it is of version 3, and plot reads version 5/);
    const { usage: _, ...noUsage } = report();
    expect(reportProblem(noUsage)).toBe('usage is missing');
    expect(reportProblem(report({ processes: [{ ...process({ host: 'a', pid: 1, start: 0, end: 1 }), end: '1' as unknown as number }] }))).toBe(
      'processes[0].end is not a number',
    );
    expect(reportProblem(report({ usage: { interval: 0, hosts: [], links: [] } }))).toBe('usage.interval is not positive');
  });

  it('writes the page beside the report, its .json replaced by .html', () => {
    expect(defaultPagePath('out/run.json')).toBe('out/run.html');
    expect(defaultPagePath('run.JSON')).toBe('run.html');
    expect(defaultPagePath('report')).toBe('report.html');
  });
});
