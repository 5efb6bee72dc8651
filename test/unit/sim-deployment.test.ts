import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseDeployment, parseDeploymentText } from '../../src/sim/index.js';

const HOSTS = ['alice', 'bob'];

function parse(body: string) {
  return parseDeploymentText(
    `<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">\n<platform version="4.1">\n${body}\n</platform>\n`,
    'deploy.xml',
    HOSTS,
  );
}

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected an error');
}

describe('deployment files', () => {
  it("reads SimGrid's <actor> with its arguments and start time, in file order", () => {
    expect(
      parse(`
  <actor host="bob" function="./server" start_time="0">
    <argument value="8080"/>
  </actor>
  <actor host="alice" function="./client" start_time="1.5">
    <argument value="bob"/>
    <argument value="8080"/>
  </actor>`),
    ).toEqual([
      { host: 'bob', argv: ['./server', '8080'], startTime: 0 },
      { host: 'alice', argv: ['./client', 'bob', '8080'], startTime: 1.5 },
    ]);
  });

  it("accepts Simterpose's <process> spelling and a missing start time", () => {
    expect(parse(`<process host="alice" function="/bin/true"/>`)).toEqual([{ host: 'alice', argv: ['/bin/true'], startTime: 0 }]);
  });

  it('decodes entities in arguments and ignores comments and <prop>', () => {
    expect(
      parse(`<!-- a comment -->
  <actor host="alice" function="sh">
    <prop id="x" value="y"/>
    <argument value="-c"/>
    <argument value="echo &quot;a &amp; b&quot; &lt; /dev/null"/>
  </actor>`),
    ).toEqual([{ host: 'alice', argv: ['sh', '-c', 'echo "a & b" < /dev/null'], startTime: 0 }]);
  });

  it('names an unknown host and lists the valid ones, with the line', () => {
    const error = errorOf(() => parse(`\n  <actor host="carol" function="x"/>`));
    expect(error.message).toBe("deploy.xml:5: unknown host 'carol'; the platform's hosts are: alice, bob");
  });

  it('gives the line of malformed XML', () => {
    const error = errorOf(() => parse(`  <actor host="alice" function="x">\n    <argument value="1">\n  </actor>`));
    expect(error.message).toMatch(/^deploy\.xml:6: closing tag <\/actor> does not match <argument> opened at line 5$/);
  });

  it('refuses an actor without function, and a bad start time', () => {
    expect(errorOf(() => parse(`<actor host="alice"/>`)).message).toBe('deploy.xml:4: <actor> needs a function attribute');
    expect(errorOf(() => parse(`<actor host="alice" function="x" start_time="soon"/>`)).message).toBe(
      "deploy.xml:4: start_time must be a non-negative number of seconds, not 'soon'",
    );
  });

  it("reads SimGrid's kill_time: the date the actor is killed, none for -1", () => {
    expect(parse(`<actor host="bob" function="./server" start_time="1" kill_time="3600"/>\n<actor host="alice" function="x" kill_time="-1"/>`)).toEqual([
      { host: 'bob', argv: ['./server'], startTime: 1, killTime: 3600 },
      { host: 'alice', argv: ['x'], startTime: 0 },
    ]);
  });

  it('refuses a kill_time that is not a date, or that does not come after the start', () => {
    expect(errorOf(() => parse(`<actor host="alice" function="x" kill_time="later"/>`)).message).toBe(
      "deploy.xml:4: kill_time must be a non-negative number of seconds, not 'later'",
    );
    expect(errorOf(() => parse(`<actor host="alice" function="x" start_time="2" kill_time="2"/>`)).message).toBe(
      'deploy.xml:4: kill_time 2 does not come after start_time 2: the program would never run',
    );
  });

  it("reads an actor's <migrate> children in date order, and refuses one without a date from the start on or with an unknown host", () => {
    expect(
      parse(
        `<actor host="bob" function="./server" start_time="1">\n<argument value="80"/><migrate time="9" host="alice" live="true"/><migrate time="2.5" host="bob"/></actor>`,
      ),
    ).toEqual([
      {
        host: 'bob',
        argv: ['./server', '80'],
        startTime: 1,
        migrations: [
          { at: 2.5, to: 'bob', live: false },
          { at: 9, to: 'alice', live: true },
        ],
      },
    ]);
    expect(errorOf(() => parse(`<actor host="alice" function="x" start_time="2">\n<migrate time="1" host="bob"/></actor>`)).message).toBe(
      "deploy.xml:5: <migrate> time must be a number of seconds from start_time 2 on, not '1'",
    );
    expect(errorOf(() => parse(`<actor host="alice" function="x">\n<migrate time="1" host="bob" live="yes"/></actor>`)).message).toBe(
      "deploy.xml:5: <migrate> live must be true or false, not 'yes'",
    );
    expect(errorOf(() => parse(`<actor host="alice" function="x">\n<migrate host="bob"/></actor>`)).message).toBe(
      'deploy.xml:5: <migrate> needs a time and a host attribute',
    );
    expect(errorOf(() => parse(`<actor host="alice" function="x">\n<migrate time="1" host="carol"/></actor>`)).message).toMatch(
      /^deploy\.xml:5: unknown host 'carol'/,
    );
  });

  it("reads SimGrid's on_failure: RESTART marks the actor, DIE (the default) does not, anything else is refused", () => {
    expect(parse(`<actor host="bob" function="./server" on_failure="RESTART"/>\n<actor host="alice" function="x" on_failure="DIE"/>`)).toEqual([
      { host: 'bob', argv: ['./server'], startTime: 0, restart: true },
      { host: 'alice', argv: ['x'], startTime: 0 },
    ]);
    expect(errorOf(() => parse(`<actor host="alice" function="x" on_failure="retry"/>`)).message).toBe(
      "deploy.xml:4: on_failure must be DIE or RESTART, not 'retry'",
    );
  });

  it('refuses elements that are not actors', () => {
    expect(errorOf(() => parse(`<host id="alice"/>`)).message).toBe('deploy.xml:4: unexpected <host>; a deployment file holds <actor> elements');
  });

  it('reads a file from disk and says clearly when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simterpose-deploy-'));
    const file = join(dir, 'd.xml');
    writeFileSync(file, `<platform version="4.1"><actor host="bob" function="b"/></platform>`);
    expect(parseDeployment(file, HOSTS)).toEqual([{ host: 'bob', argv: ['b'], startTime: 0 }]);
    expect(errorOf(() => parseDeployment(join(dir, 'none.xml'), HOSTS)).message).toBe(`deployment file not found: ${join(dir, 'none.xml')}`);
  });
});
