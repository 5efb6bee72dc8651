import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNative, shellStatus } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// The package as a user gets it: scripts/pack-check.sh packs simterpose and
// its prebuilt addon packages, installs them into an empty project on a PATH
// without cargo or rustc, and runs `npx simterpose run` and a vitest test
// importing runExperiment there. Each step fails the script with its reason.
//
// No Node.js for musl runs here, so the musl addon is never loaded: its
// tarball's library is checked instead for what a musl Node.js needs of it.

const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const tarballs = mkdtempSync(join(tmpdir(), 'simterpose-tarballs-'));
afterAll(() => rmSync(tarballs, { recursive: true, force: true }));

/** Debian's musl (musl-tools in .ci/run): the libc the musl addon links against. */
const MUSL_LIBC = '/usr/lib/x86_64-linux-musl/libc.so';

/** The standard output of a command that must succeed. */
async function run(argv: string[]): Promise<string> {
  const result = await runNative(argv);
  expect(shellStatus(result), `${argv.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The names of a shared object's dynamic symbols: defined, and undefined but needed (weak references left out). */
async function dynamicSymbols(file: string): Promise<{ defined: string[]; undefined: string[] }> {
  const lines = (await run(['nm', '--dynamic', file])).split('\n').filter((line) => line !== '');
  const name = (line: string) => line.trim().split(/ +/).at(-1)?.replace(/@.*/, '') ?? '';
  return {
    defined: lines.filter((line) => !/^ +[Uw] /.test(line)).map(name),
    undefined: lines.filter((line) => /^ +U /.test(line)).map(name),
  };
}

describe('the npm package', () => {
  it('installs from its tarballs without Rust, and runs a program from npx and from runExperiment', { timeout: 420_000 }, async () => {
    const result = await runNative(['bash', join(REPO_ROOT, 'scripts', 'pack-check.sh'), tarballs], { timeoutMs: 400_000 });
    expect(shellStatus(result), `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('npx simterpose run node_modules/simterpose/platforms/two-hosts.xml -- /bin/echo hi');
    expect(result.stdout).toContain('✓ experiment.test.js > runExperiment sleeps an hour of virtual time on a host of the installed package');
    expect(result.stdout).toMatch(/Tests +1 passed/);
    expect(result.stdout).toContain('pack-check: ok');
    expect(readdirSync(tarballs).sort()).toEqual([
      `simterpose-${version}.tgz`,
      `simterpose-linux-x64-gnu-${version}.tgz`,
      `simterpose-linux-x64-musl-${version}.tgz`,
    ]);
  });

  it('packs the musl addon as an x86-64 shared object linked against musl alone, exporting the N-API entry point', async () => {
    const unpacked = join(tarballs, 'musl');
    mkdirSync(unpacked);
    await run(['tar', '-xzf', join(tarballs, `simterpose-linux-x64-musl-${version}.tgz`), '-C', unpacked]);
    const addon = join(unpacked, 'package', 'ptrace.linux-x64-musl.node');

    const header = await run(['readelf', '--file-header', '--wide', addon]);
    expect(header).toMatch(/Class: +ELF64/);
    expect(header).toMatch(/Type: +DYN \(Shared object file\)/);
    expect(header).toMatch(/Machine: +Advanced Micro Devices X86-64/);

    // musl's libc (Debian's has no soname; musl's loader takes the name libc.so for
    // itself, as it does libc.musl-x86_64.so.1), and libgcc_s for Rust's unwinder
    // (Alpine's Node.js needs it too): no glibc.
    const needed = [...(await run(['readelf', '--dynamic', '--wide', addon])).matchAll(/\(NEEDED\) +Shared library: \[(.+)\]/g)].map((m) => m[1]);
    expect(needed.sort()).toEqual(['libc.so', 'libgcc_s.so.1']);
    expect(await run(['readelf', '--version-info', '--wide', addon])).not.toContain('GLIBC_');

    const symbols = await dynamicSymbols(addon);
    expect(symbols.defined).toContain('napi_register_module_v1');
    // Every function it takes from libc is one musl's libc.so defines; napi_* come from Node.js, _Unwind_* from libgcc_s.
    const musl = (await dynamicSymbols(MUSL_LIBC)).defined;
    const fromLibc = symbols.undefined.filter((name) => !name.startsWith('napi_') && !name.startsWith('_Unwind_'));
    expect(fromLibc.length).toBeGreaterThan(50);
    expect(fromLibc.filter((name) => !musl.includes(name))).toEqual([]);
  });
});
