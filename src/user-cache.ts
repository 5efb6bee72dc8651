import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The user's cache folder for simterpose: what runs keep there only spares
 * later runs work (measured stop costs, compiled code), and any of it may be
 * deleted. bin/simterpose.js names it too, before any module of ours loads.
 */
export function userCacheFolder(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'simterpose');
}

/** Whether the environment variable `name` is set to something other than '' or '0': how the user turns a cache off or refreshes it. */
export function switchedOn(name: string): boolean {
  const value = process.env[name];
  return value !== undefined && value !== '' && value !== '0';
}
