import pino, { type Logger, type LevelWithSilent } from 'pino';

/**
 * One logger for the whole program, a child per module. Human-readable on a
 * terminal, JSON lines otherwise (so CI logs can be parsed). Logs go to stderr
 * so they never mix with the traced programs' stdout.
 */
let root: Logger = makeLogger('warn');

function makeLogger(level: LevelWithSilent): Logger {
  const pretty = process.stderr.isTTY === true;
  const destination = pretty
    ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } })
    : pino.destination({ fd: 2, sync: true });
  return pino({ level, base: undefined }, destination);
}

export function setLogLevel(level: LevelWithSilent): void {
  root = makeLogger(level);
}

export function logger(module: string): Logger {
  return root.child({ module });
}

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
