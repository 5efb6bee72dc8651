import { describe, expect, test } from 'vitest';
import { FIRST_VIRTUAL_PID, OUTSIDE_PID, VirtualPids } from '../../src/mediator/tracees/virtual-pids.js';

describe('virtual pids', () => {
  test('each host numbers its processes and threads from FIRST_VIRTUAL_PID, in creation order', () => {
    const pids = new VirtualPids();
    expect(pids.allocate('alice', 5301)).toBe(FIRST_VIRTUAL_PID);
    expect(pids.allocate('bob', 5302)).toBe(FIRST_VIRTUAL_PID);
    expect(pids.allocate('alice', 5303)).toBe(FIRST_VIRTUAL_PID + 1);
    expect(pids.toVirtual(5303)).toBe(FIRST_VIRTUAL_PID + 1);
    expect(pids.toReal('alice', FIRST_VIRTUAL_PID + 1)).toBe(5303);
    expect(pids.toReal('bob', FIRST_VIRTUAL_PID)).toBe(5302);
  });

  test("another host's ids and ids never given name nothing; a process outside simterpose reads as OUTSIDE_PID", () => {
    const pids = new VirtualPids();
    pids.allocate('alice', 5301);
    expect(pids.toReal('bob', FIRST_VIRTUAL_PID)).toBeUndefined();
    expect(pids.toReal('alice', FIRST_VIRTUAL_PID + 1)).toBeUndefined();
    expect(pids.toVirtual(1234)).toBe(OUTSIDE_PID);
  });

  test('a real pid the kernel reuses gets a new virtual id; the old id stays given', () => {
    const pids = new VirtualPids();
    pids.allocate('alice', 5301);
    expect(pids.allocate('alice', 5301)).toBe(FIRST_VIRTUAL_PID + 1);
    expect(pids.toVirtual(5301)).toBe(FIRST_VIRTUAL_PID + 1);
  });

  test('the sender of a group signal simterpose delivered is told once', () => {
    const pids = new VirtualPids();
    pids.noteSender(5301, 10, 1003);
    expect(pids.takeSender(5301, 10)).toBe(1003);
    expect(pids.takeSender(5301, 10)).toBeUndefined();
  });
});
