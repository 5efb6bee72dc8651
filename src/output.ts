/**
 * Output of many processes on one terminal: each line a process writes is
 * prefixed with its host and pid, and lines are never mixed mid-line.
 */
export class PrefixedOutput {
  private readonly partial = new Map<string, { prefix: string; text: string }>();

  constructor(private readonly write: (text: string) => void) {}

  feed(host: string, pid: number, bytes: Buffer): void {
    const key = `${host} ${pid}`;
    const pending = this.partial.get(key) ?? { prefix: `[${host} ${pid}] `, text: '' };
    const text = pending.text + bytes.toString('utf8');
    const lines = text.split('\n');
    const rest = lines.pop()!;
    if (lines.length > 0) this.write(lines.map((line) => `${pending.prefix}${line}\n`).join(''));
    pending.text = rest;
    if (rest === '') this.partial.delete(key);
    else this.partial.set(key, pending);
  }

  /** Writes what is left of unfinished lines (a process exited without a final newline). */
  flush(): void {
    for (const { prefix, text } of this.partial.values()) this.write(`${prefix}${text}\n`);
    this.partial.clear();
  }
}
