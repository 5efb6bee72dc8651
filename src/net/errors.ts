import { constants } from 'node:os';

/** The errno names the virtual network can answer with. */
export type NetErrnoName =
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EAFNOSUPPORT'
  | 'EAGAIN'
  | 'EALREADY'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'EDESTADDRREQ'
  | 'EHOSTUNREACH'
  | 'EINPROGRESS'
  | 'EINVAL'
  | 'EISCONN'
  | 'EMSGSIZE'
  | 'ENETUNREACH'
  | 'ENOTCONN'
  | 'EOPNOTSUPP'
  | 'EPIPE'
  | 'ETIMEDOUT';

/**
 * A failed socket operation, returned rather than thrown: failures are the
 * normal outcome of many calls (EAGAIN above all), and the syscall handlers
 * turn them into errno results. EAGAIN means "would block": the handler
 * decides between waiting (blocking socket) and returning it (O_NONBLOCK).
 */
export class SocketError {
  readonly errno: number;

  constructor(readonly code: NetErrnoName) {
    const value = (constants.errno as Record<string, number>)[code];
    if (value === undefined) throw new Error(`no errno value for ${code} on this platform`);
    this.errno = value;
  }
}

export function fail(code: NetErrnoName): SocketError {
  return new SocketError(code);
}

export function isError(value: unknown): value is SocketError {
  return value instanceof SocketError;
}
