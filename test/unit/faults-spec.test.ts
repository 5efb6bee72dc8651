import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkFaultTargets, parseFault } from '../../src/faults/spec.js';
import { resolveRunOptions } from '../../src/resolve-run-options.js';

describe('a --fault', () => {
  it('reads hosts and links turning off and on, processes killed by any signal or paused, and clocks skewed', () => {
    expect(parseFault('host:beta:off@5')).toEqual({ kind: 'host', host: 'beta', on: false, at: 5 });
    expect(parseFault('host:beta:on@9.5')).toEqual({ kind: 'host', host: 'beta', on: true, at: 9.5 });
    expect(parseFault('link:wire:off@3')).toEqual({ kind: 'link', link: 'wire', on: false, at: 3 });
    expect(parseFault('process:1000@beta:kill@2')).toEqual({ kind: 'signal', pid: 1000, host: 'beta', signal: 9, at: 2 });
    expect(parseFault('process:1000@beta:kill=SIGTERM@2')).toEqual({ kind: 'signal', pid: 1000, host: 'beta', signal: 15, at: 2 });
    expect(parseFault('process:7@beta:kill=usr1@0')).toEqual({ kind: 'signal', pid: 7, host: 'beta', signal: 10, at: 0 });
    expect(parseFault('process:7@beta:pause@2:for=0.5')).toEqual({ kind: 'pause', pid: 7, host: 'beta', at: 2, duration: 0.5 });
    expect(parseFault('clock:beta:offset=0.25')).toEqual({ kind: 'clock', host: 'beta', offset: 0.25, drift: 0 });
    expect(parseFault('clock:beta:drift=+50ppm')).toEqual({ kind: 'clock', host: 'beta', offset: 0, drift: 50e-6 });
    expect(parseFault('clock:beta:offset=-1:drift=-20ppm')).toEqual({ kind: 'clock', host: 'beta', offset: -1, drift: -20e-6 });
  });

  it('that is wrong is one UserError quoting it and saying what is wrong', () => {
    const cases: Array<[string, string]> = [
      ['beta:off@5', "unknown kind 'beta'"],
      ['host:beta:off', 'say when'],
      ['host:beta:down@5', "not 'down'"],
      ['host:beta:off@-1', 'not negative'],
      ['host:beta:off@soon', "'soon' is not a number"],
      ['process:beta:kill@2', 'PID@HOST'],
      ['process:1@beta:kill=SIGFOO@2', "unknown signal 'SIGFOO'"],
      ['process:1@beta:pause@2', 'how long'],
      ['process:1@beta:stop@2', "not 'stop'"],
      ['clock:beta', 'offset=SECONDS'],
      ['clock:beta:drift=50', 'drift=±Nppm'],
      ['link::off@1', 'KIND:TARGET:ACTION'],
    ];
    for (const [text, why] of cases) {
      expect(() => parseFault(text), text).toThrow(UserError);
      expect(() => parseFault(text), text).toThrow(`--fault '${text}': `);
      expect(() => parseFault(text), text).toThrow(why);
    }
  });

  it('list given to runExperiment must hold strings', () => {
    expect(resolveRunOptions({ faults: ['host:beta:off@1'], cpuModel: 'none' }).faults).toEqual([{ kind: 'host', host: 'beta', on: false, at: 1 }]);
    expect(() => resolveRunOptions({ faults: 'host:beta:off@1' as unknown as string[], cpuModel: 'none' })).toThrow('faults must be a list of fault strings');
  });

  it("must name the platform's hosts and links", () => {
    const faults = ['host:beta:off@1', 'link:wire:on@2', 'clock:alpha:offset=1'].map(parseFault);
    expect(() => checkFaultTargets(faults, ['alpha', 'beta'], ['wire'])).not.toThrow();
    expect(() => checkFaultTargets([parseFault('host:gamma:off@1')], ['alpha', 'beta'], ['wire'])).toThrow("the platform has no host 'gamma'");
    expect(() => checkFaultTargets([parseFault('link:cable:off@1')], ['alpha'], ['wire'])).toThrow("the platform has no link 'cable'");
  });
});
