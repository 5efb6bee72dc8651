import { Errno } from '../abi/errno.js';
import { SOL_SOCKET, SO_RCVTIMEO, SO_SNDTIMEO } from '../abi/socket.js';

const MICROSECONDS_PER_SECOND = 1_000_000;

/**
 * Why setsockopt refuses the struct timeval (tv_sec, then tv_usec, two longs)
 * given for SO_RCVTIMEO or SO_SNDTIMEO, read whole: sock_set_timeout takes
 * microseconds only within a second (EDOM otherwise); a negative second is
 * no error (it means no timeout). Undefined for any other option.
 */
export function timeoutRefusal(level: number, name: number, value: Buffer): number | undefined {
  if (level !== SOL_SOCKET || (name !== SO_RCVTIMEO && name !== SO_SNDTIMEO) || value.length < 16) return undefined;
  const microseconds = value.readBigInt64LE(8);
  return microseconds < 0n || microseconds >= BigInt(MICROSECONDS_PER_SECOND) ? Errno.EDOM : undefined;
}
