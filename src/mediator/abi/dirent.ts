/**
 * struct linux_dirent64, as getdents64 fills a buffer with them:
 * { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }, the
 * name NUL-terminated and each record padded to 8 bytes. d_off is the
 * directory position after the entry, a cookie lseek takes back.
 */
export interface DirectoryEntry {
  inode: bigint;
  nextOffset: bigint;
  type: number;
  name: string;
}

const NAME_AT = 19;

export function parseDirectoryEntries(bytes: Buffer): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [];
  for (let at = 0; at + NAME_AT <= bytes.length; ) {
    const length = bytes.readUInt16LE(at + 16);
    const nameEnd = bytes.indexOf(0, at + NAME_AT);
    entries.push({
      inode: bytes.readBigUInt64LE(at),
      nextOffset: bytes.readBigInt64LE(at + 8),
      type: bytes.readUInt8(at + 18),
      name: bytes.toString('utf8', at + NAME_AT, nameEnd),
    });
    at += length;
  }
  return entries;
}

/** The bytes `entry` takes in a getdents64 buffer. */
export function directoryEntrySize(entry: DirectoryEntry): number {
  return (NAME_AT + Buffer.byteLength(entry.name) + 1 + 7) & ~7;
}

export function encodeDirectoryEntries(entries: readonly DirectoryEntry[]): Buffer {
  const bytes = Buffer.alloc(entries.reduce((sum, entry) => sum + directoryEntrySize(entry), 0));
  let at = 0;
  for (const entry of entries) {
    const size = directoryEntrySize(entry);
    bytes.writeBigUInt64LE(entry.inode, at);
    bytes.writeBigInt64LE(entry.nextOffset, at + 8);
    bytes.writeUInt16LE(size, at + 16);
    bytes.writeUInt8(entry.type, at + 18);
    bytes.write(entry.name, at + NAME_AT, 'utf8');
    at += size;
  }
  return bytes;
}
