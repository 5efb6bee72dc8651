/** Futex words are identified per address space: threads and CLONE_VM children share them. */
export function futexKey(addressSpace: number, address: number): string {
  return `${addressSpace}:${address}`;
}
