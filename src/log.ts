import { createRequire } from 'node:module';
import type { Logger, LevelWithSilent } from 'pino';
import { packagePath } from './package-root.js';

/**
 * One logger for the whole program, a child per module. Human-readable on a
 * terminal, JSON lines otherwise (so CI logs can be parsed). Logs go to stderr
 * so they never mix with the traced programs' stdout.
 *
 * pino is loaded at the first message the level lets through, not before:
 * loading it (and its two dozen modules) costs more CPU than a whole run of
 * a small program, and most runs log nothing at the default level.
 */
let level: LevelWithSilent = 'warn';
let root: Logger | undefined;

/** pino's levels, as it ranks them: a message is written when its level ranks at least the logger's. */
const RANK: Record<LevelWithSilent, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

function makeLogger(): Logger {
  // pino is CommonJS: required synchronously, so that a log call stays synchronous.
  const pino = createRequire(packagePath('package.json'))('pino') as typeof import('pino');
  const pretty = process.stderr.isTTY === true;
  const destination = pretty ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } }) : pino.destination({ fd: 2, sync: true });
  return pino.pino({ level, base: undefined }, destination);
}

const children = new Map<string, Logger>();

export function setLogLevel(wanted: LevelWithSilent): void {
  level = wanted;
  root = undefined;
  children.clear();
}

function ignore(): void {}

/**
 * The logger of one module. Modules take it at load time, before the CLI has
 * set the level, so it forwards to a child of the current root; a message
 * below the level goes nowhere without making one.
 */
export function logger(module: string): Logger {
  const current = (): Logger => {
    let child = children.get(module);
    if (child === undefined) {
      root ??= makeLogger();
      child = root.child({ module });
      children.set(module, child);
    }
    return child;
  };
  return new Proxy({} as Logger, {
    get(_target, property) {
      if (typeof property === 'string' && property in RANK && RANK[property as LevelWithSilent] < RANK[level]) return ignore;
      const child = current();
      const value = Reflect.get(child, property, child) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(child) : value;
    },
  });
}

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
