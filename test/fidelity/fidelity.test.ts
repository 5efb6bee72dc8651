import { beforeAll, describe, expect, test } from 'vitest';
import { CI_PROFILE, CI_ROWS, CI_RUNS, PROFILES, RELAY_BOUND } from './config.js';
import { missingPrivilege, type ProfileResult, runProfile } from './suite.js';
import { formatText } from './table.js';

// The fidelity suite's short slice (`npm run fidelity` runs the whole): on
// the CI profile's link (see config.ts), the relay's own error, then a few workloads on
// the real kernel and under simterpose. A checked row must be within its
// bound; a row still awaiting the TCP model is measured and printed, not
// judged (a row at the edge of its bound would make CI flap).

const profile = PROFILES.find((candidate) => candidate.name === CI_PROFILE)!;
const privilege = missingPrivilege();
const title = `fidelity on the ${CI_PROFILE} link, real kernel against simterpose`;

describe.skipIf(privilege !== null)(privilege === null ? title : `${title} (skipped: ${privilege})`, () => {
  let result: ProfileResult;

  beforeAll(async () => {
    result = await runProfile(profile, CI_ROWS, CI_RUNS);
    process.stderr.write(formatText(result.rows, [result.relay]));
  }, 300_000);

  test('the relay adds little to 2L: a ping round trip within 10% of it', () => {
    expect(Math.abs(result.relay.pingError), `ping RTT ${result.relay.pingRttMs} ms, 2L ${result.relay.expectedRttMs} ms`).toBeLessThanOrEqual(RELAY_BOUND);
  });

  test('the relay serializes frames at B: a burst leaves within 10% of it', () => {
    expect(
      Math.abs(result.relay.rateError),
      `burst rate ${result.relay.rateBytesPerSecond} B/s, B ${result.relay.expectedBytesPerSecond} B/s`,
    ).toBeLessThanOrEqual(RELAY_BOUND);
  });

  test('every checked row is within its bound of the real kernel', () => {
    const checked = result.rows.filter((row) => row.checked);
    expect(checked.length).toBeGreaterThan(0);
    for (const row of checked) {
      expect(row.verdict, `${row.row}: real ${row.realMedian} ${row.unit}, simterpose ${row.simterpose} ${row.unit}, bound ${row.bound}`).toBe('in');
    }
  });
});
