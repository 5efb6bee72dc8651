import { execFileSync } from 'node:child_process';

/**
 * A real Linux machine alone on its subnet: a network namespace whose one
 * link (10.78.1.1/24, a veth) leads to a namespace that answers nothing, not
 * even ARP, and no route leads anywhere else. Named after this process, so
 * that test runs side by side each have their own.
 */
export const LONELY_SUBNET = { own: '10.78.1.1', missing: '10.78.1.9' } as const;
const SIDES = { lonely: `simterpose-lonely-${process.pid}`, silent: `simterpose-silent-${process.pid}` } as const;
const LINKS = { lonely: `sl${process.pid}a`, silent: `sl${process.pid}b` } as const;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs `argv` on that machine; resolves with what it printed. */
export function outputAloneOnSubnet(argv: string[]): string {
  removeNamespaces();
  try {
    for (const name of Object.values(SIDES)) ip('netns', 'add', name);
    ip('link', 'add', LINKS.lonely, 'type', 'veth', 'peer', 'name', LINKS.silent);
    ip('link', 'set', LINKS.lonely, 'netns', SIDES.lonely);
    ip('link', 'set', LINKS.silent, 'netns', SIDES.silent);
    ip('-n', SIDES.lonely, 'addr', 'add', `${LONELY_SUBNET.own}/24`, 'dev', LINKS.lonely);
    ip('-n', SIDES.lonely, 'link', 'set', LINKS.lonely, 'up');
    ip('-n', SIDES.lonely, 'link', 'set', 'lo', 'up');
    ip('-n', SIDES.silent, 'link', 'set', LINKS.silent, 'up');
    return execFileSync('ip', ['netns', 'exec', SIDES.lonely, ...argv], { encoding: 'utf8' });
  } finally {
    removeNamespaces();
  }
}

function removeNamespaces(): void {
  const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const name of Object.values(SIDES)) if (listed.includes(name)) ip('netns', 'del', name);
}
