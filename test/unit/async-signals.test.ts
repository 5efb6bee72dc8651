import { describe, expect, test } from 'vitest';
import { POLL_ERR, POLL_HUP, POLL_IN, POLL_OUT } from '../../src/mediator/abi/signal.js';
import { reasonsBetween } from '../../src/mediator/sockets/async-signals.js';

const NONE = { readable: 0, writable: 0, hangup: 0, readHangup: 0, error: 0 };

describe('the reasons a virtual socket with O_ASYNC signals for', () => {
  test('each arrival is a POLL_IN, room coming back a POLL_OUT, an error a POLL_ERR, nothing none', () => {
    expect(reasonsBetween(NONE, NONE)).toEqual([]);
    expect(reasonsBetween(NONE, { ...NONE, readable: 2 })).toEqual([POLL_IN, POLL_IN]);
    expect(reasonsBetween({ ...NONE, writable: 1 }, { ...NONE, writable: 2 })).toEqual([POLL_OUT]);
    expect(reasonsBetween(NONE, { ...NONE, error: 1, readable: 1 })).toEqual([POLL_ERR, POLL_IN]);
  });

  test("the peer's close adds tcp_fin's POLL_IN before its arrival's, a POLL_HUP once both directions are shut", () => {
    expect(reasonsBetween(NONE, { ...NONE, readable: 1, readHangup: 1 })).toEqual([POLL_IN, POLL_IN]);
    expect(reasonsBetween(NONE, { ...NONE, readable: 1, readHangup: 1, hangup: 1 })).toEqual([POLL_HUP, POLL_IN]);
  });
});
