import { SOL_SOCKET } from './socket.js';
import type { TraceeMemory } from './tracee-memory.js';

/** getsockopt(SOL_SOCKET, SO_PEERCRED) and the SCM_CREDENTIALS control message both carry a struct ucred: pid @0, uid @4, gid @8. */
export const SO_PEERCRED = 17;
/** setsockopt(SOL_SOCKET, SO_PASSCRED): what an AF_UNIX socket receives carries SCM_CREDENTIALS. */
export const SO_PASSCRED = 16;
export const SCM_CREDENTIALS = 2;
export const UCRED_SIZE = 12;

/** What Linux answers SO_PEERCRED on a socket with no peer process (AF_INET): pid 0, uid and gid -1. */
export function noPeerCredentials(): Buffer {
  const ucred = Buffer.alloc(UCRED_SIZE);
  ucred.writeInt32LE(-1, 4);
  ucred.writeInt32LE(-1, 8);
  return ucred;
}

/** struct cmsghdr: cmsg_len (size_t) @0, cmsg_level @8, cmsg_type @12, data from 16; each header aligned on 8 bytes. */
export const CMSGHDR_SIZE = 16;

/** Whether every control message in sendmsg's control bytes has a length that fits (at least its header, at most what is left), as __sys_sendmsg checks; EINVAL otherwise. */
export function controlMessagesFit(bytes: Buffer): boolean {
  for (let at = 0; bytes.length - at >= CMSGHDR_SIZE; ) {
    const messageLength = Number(bytes.readBigUInt64LE(at));
    if (messageLength < CMSGHDR_SIZE || messageLength > bytes.length - at) return false;
    at += Math.ceil(messageLength / 8) * 8;
  }
  return true;
}
const align = (length: number): number => (length + 7) & ~7;

/**
 * The addresses of the pids in the SCM_CREDENTIALS messages of the control
 * buffer at `control`, `length` bytes long (as CMSG_FIRSTHDR and
 * CMSG_NXTHDR walk it).
 */
export function credentialPids(memory: TraceeMemory, control: number, length: number): number[] {
  if (control === 0 || length < CMSGHDR_SIZE) return [];
  const buffer = memory.read(control, length);
  const pids: number[] = [];
  for (let offset = 0; offset + CMSGHDR_SIZE <= length; ) {
    const messageLength = Number(buffer.readBigUInt64LE(offset));
    if (messageLength < CMSGHDR_SIZE || offset + messageLength > length) break;
    const level = buffer.readInt32LE(offset + 8);
    const type = buffer.readInt32LE(offset + 12);
    if (level === SOL_SOCKET && type === SCM_CREDENTIALS && messageLength >= CMSGHDR_SIZE + UCRED_SIZE) pids.push(control + offset + CMSGHDR_SIZE);
    offset += align(messageLength);
  }
  return pids;
}
