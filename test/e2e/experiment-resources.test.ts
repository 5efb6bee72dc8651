import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runExperiment } from 'simterpose';
import { appPath } from '../helpers/apps.js';

// A test suite calls runExperiment many times in one process: every run must
// give back the descriptors it opened (its output pipes among them), whether
// it ends normally or fails.

const RUNS = 5;

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

it(`${RUNS} deployments in a row leave this process with the descriptors it had`, async () => {
  const run = () =>
    runExperiment({ platform: 'test/fixtures/platforms/net-two-hosts.xml', deployment: 'test/fixtures/deployments/exit-status.xml', cpuModel: 'none' });
  // The first run may open what stays open for good (the addon, SimGrid's module): count from the second.
  expect((await run()).exitCodes).toEqual([0, 3, 5]);
  const before = openDescriptors();
  for (let i = 0; i < RUNS; i++) await run();
  expect(openDescriptors()).toBe(before);
});

it(`${RUNS} failing runs with captured output leave this process with the descriptors it had`, async () => {
  const run = () => runExperiment({ platform: 'test/fixtures/platforms/net-two-hosts.xml', command: [appPath('deadlock')], cpuModel: 'none' });
  await expect(run()).rejects.toThrow(/deadlock/);
  const before = openDescriptors();
  for (let i = 0; i < RUNS; i++) await expect(run()).rejects.toThrow(/deadlock/);
  expect(openDescriptors()).toBe(before);
});
