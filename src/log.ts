import pino, { type Logger, type LevelWithSilent } from 'pino';

/**
 * One logger for the whole program, a child per module. Human-readable on a
 * terminal, JSON lines otherwise (so CI logs can be parsed). Logs go to stderr
 * so they never mix with the traced programs' stdout.
 */
let root: Logger = makeLogger('warn');

function makeLogger(level: LevelWithSilent): Logger {
  const pretty = process.stderr.isTTY === true;
  const destination = pretty ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } }) : pino.destination({ fd: 2, sync: true });
  return pino({ level, base: undefined }, destination);
}

const children = new Map<string, Logger>();

export function setLogLevel(level: LevelWithSilent): void {
  root = makeLogger(level);
  children.clear();
}

/**
 * The logger of one module. Modules take it at load time, before the CLI has
 * set the level, so it forwards to a child of the current root.
 */
export function logger(module: string): Logger {
  const current = (): Logger => {
    let child = children.get(module);
    if (child === undefined) {
      child = root.child({ module });
      children.set(module, child);
    }
    return child;
  };
  return new Proxy({} as Logger, {
    get(_target, property) {
      const child = current();
      const value = Reflect.get(child, property, child) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(child) : value;
    },
  });
}

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
