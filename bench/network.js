// The `network` benchmark section: how fast real bytes cross the virtual
// network. One TCP transfer of 256 MiB in 64 KiB writes (test/apps/net_transfer)
// between the two hosts of a 100 Gbit/s link without latency, so that wall
// time is simterpose's own cost, next to the same programs on native loopback
// in the same run, and next to the floors of this design: a bare C tracer
// carrying the same stream through its own memory (c-net-tracer.c), one copy
// per call and no simulation, getting each call as a ptrace stop, or as a
// seccomp user notification as simterpose does. Rates come from wall-clock
// time measured outside the programs, as bytes over the difference between a
// full transfer and an empty one (medians of several runs each, interleaved):
// start-up costs cancel out.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, buildPrograms, exited, median, ratioRow, repoRoot, simterposeCli, timeRun } from './measure.js';

const transfer = `${binDir}net_transfer`;
const floorTracer = `${binDir}c-net-tracer`;
const platform = `${repoRoot}test/fixtures/platforms/net-fast.xml`;

const TOTAL = 256 * 1024 * 1024;
const WRITE_SIZE = 64 * 1024;
// Medians of several rounds: a native transfer takes a tenth of a second, and
// on this VM one simterpose transfer takes up to 50% longer than the one
// before it, so a few runs leave the rates noisy. Each round runs every
// variant once, so that the machine's drift over the minutes the section
// takes (this VM's speed wanders) hits them all alike.
const ROUNDS = 11;
const RATIO_TARGET = 0.3; // full mediation against native loopback
const MiB = 1024 * 1024;
// The floor tracer's ring: as much as a sender may have queued under simterpose (its TCP send buffer).
const FLOOR_RING = 4 * MiB;

function build() {
  buildPrograms([
    [transfer, `${repoRoot}test/apps/net_transfer.c`],
    [floorTracer, `${repoRoot}bench/c-net-tracer.c`],
  ]);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Wall seconds of one native transfer of `bytes` on loopback, from the sender's start to both ends' exit. */
async function nativeSeconds(bytes) {
  const port = String(await freePort());
  const receiver = spawn(transfer, ['recv', port, String(bytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const receiverDone = exited(receiver, 'native receiver');
  await new Promise((resolve) => receiver.stdout.once('data', resolve));
  receiver.stdout.resume();
  const started = process.hrtime.bigint();
  const sender = spawn(transfer, ['send', '127.0.0.1', port, String(bytes), String(WRITE_SIZE)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await Promise.all([exited(sender, 'native sender'), receiverDone]);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function deploymentFor(folder, bytes) {
  const file = join(folder, `transfer-${bytes}.xml`);
  writeFileSync(
    file,
    `<?xml version='1.0'?>
<platform version="4.1">
  <actor host="bob" function="${transfer}" start_time="0">
    <argument value="recv"/><argument value="5003"/><argument value="${bytes}"/>
  </actor>
  <actor host="alice" function="${transfer}" start_time="0.001">
    <argument value="send"/><argument value="bob"/><argument value="5003"/><argument value="${bytes}"/><argument value="${WRITE_SIZE}"/>
  </actor>
</platform>
`,
  );
  return file;
}

/** simterpose's argv for a deployment of a transfer of `bytes` in the given network mode. */
function simterposeArgv(folder, mode, bytes, extra = []) {
  return [process.execPath, simterposeCli, 'run', '--cpu-model', 'none', '--network', mode, ...extra, platform, deploymentFor(folder, bytes)];
}

/**
 * MiB per second of each variant's transfer, from the medians of its full
 * and empty runs; a variant that fails is reported as not available.
 */
async function measureInterleaved(variants) {
  const samples = variants.map(() => ({ idle: [], busy: [], error: undefined }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, variant] of variants.entries()) {
      const sample = samples[index];
      if (sample.error !== undefined) continue;
      try {
        sample.idle.push(await variant.secondsFor(0));
        sample.busy.push(await variant.secondsFor(TOTAL));
      } catch (error) {
        sample.error = error;
      }
    }
  }
  return variants.map(({ name, note }, index) => {
    const { idle, busy, error } = samples[index];
    if (error !== undefined) return { name, value: null, unit: 'MiB/s', note: `not available: ${error.message}` };
    return { name, value: TOTAL / MiB / (median(busy) - median(idle)), unit: 'MiB/s', note };
  });
}

/** Syscalls per 64 KiB message, both ends together: the --strace lines a run gains per extra message. */
function stopsPerMessage(folder, mode) {
  const small = 64;
  const large = 256;
  const lines = (messages) => {
    const trace = join(folder, `strace-${mode}-${messages}.txt`);
    timeRun(simterposeArgv(folder, mode, messages * WRITE_SIZE, [`--strace=${trace}`]));
    return readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '').length;
  };
  const name = `--network ${mode}, syscalls per message`;
  try {
    const value = (lines(large) - lines(small)) / (large - small);
    return {
      name,
      value,
      unit: 'syscalls',
      note: `per ${WRITE_SIZE / 1024} KiB write, sender and receiver; from --strace line counts of ${small} and ${large} messages`,
    };
  } catch (error) {
    return { name, value: null, unit: 'syscalls', note: `not available: ${error.message}` };
  }
}

/** Wall seconds of the bare C tracer carrying `bytes` from one child to the other, by ptrace stops or user notifications. */
const floorSeconds = (mode) => (bytes) =>
  timeRun([floorTracer, String(bytes), String(WRITE_SIZE), String(FLOOR_RING), ...(mode === 'notify' ? ['notify'] : [])]);

export async function run() {
  build();
  const folder = mkdtempSync(join(tmpdir(), 'simterpose-bench-network-'));
  try {
    const what = `${TOTAL / MiB} MiB in ${WRITE_SIZE / 1024} KiB writes`;
    const [native, floor, notifyFloor, full, stopped, translate] = await measureInterleaved([
      { name: 'native loopback TCP', secondsFor: nativeSeconds, note: `${what}, no tracer` },
      {
        name: 'plain C ptrace tracer',
        secondsFor: floorSeconds('ptrace'),
        note: `${what}, one stop and one copy per call through a ${FLOOR_RING / MiB} MiB ring, no simulation`,
      },
      {
        name: 'plain C user-notification tracer',
        secondsFor: floorSeconds('notify'),
        note: `${what}, the same with each call a seccomp user notification, as simterpose gets data syscalls`,
      },
      {
        name: 'simterpose --network full',
        secondsFor: (bytes) => timeRun(simterposeArgv(folder, 'full', bytes)),
        note: `${what}, every byte through the mediator, data syscalls as seccomp user notifications, 100 Gbit/s link`,
      },
      {
        name: 'simterpose --network full --no-notify-syscalls',
        secondsFor: (bytes) => timeRun(simterposeArgv(folder, 'full', bytes, ['--no-notify-syscalls'])),
        note: `${what}, the same with every data syscall a ptrace stop`,
      },
      {
        name: 'simterpose --network translate',
        secondsFor: (bytes) => timeRun(simterposeArgv(folder, 'translate', bytes)),
        note: `${what}, kernel loopback sockets carry the bytes, 100 Gbit/s link`,
      },
    ]);
    return [
      native,
      floor,
      notifyFloor,
      full,
      stopped,
      translate,
      ratioRow('full mediation / native', full, native, RATIO_TARGET, { atLeast: true }),
      ratioRow('full mediation, ptrace stops only / native', stopped, native),
      ratioRow('address translation / native', translate, native),
      ratioRow('full mediation / plain C notification tracer', full, notifyFloor),
      ratioRow('full mediation, ptrace stops only / plain C tracer', stopped, floor),
      ratioRow('plain C tracer / native', floor, native),
      ratioRow('plain C notification tracer / native', notifyFloor, native),
      stopsPerMessage(folder, 'full'),
      stopsPerMessage(folder, 'translate'),
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
