#!/usr/bin/env node
// Writes the scale example's deployment for PAIRS client/server pairs:
//
//   node examples/scale/generate.js PAIRS [--rounds N] [--program PATH] > deployment.xml
//
// Pair i puts a server on node-2i and its client on node-2i+1 of cluster.xml
// (so PAIRS ≤ 500). Servers start at 0; clients a virtual second later, once
// every server listens, each 10 µs after the previous one so that the pairs'
// exchanges do not all happen at the same dates, and make N request/response
// exchanges (default 10).
// PATH is the program as the deployment names it (default ./pingpong, next
// to the deployment file).
import { parseArgs } from 'node:util';

const HOSTS = 1000;
const PORT = 7000;
const CLIENT_STAGGER = 1e-5;

export function deployment(pairs, { rounds = 10, program = './pingpong' } = {}) {
  if (!Number.isInteger(pairs) || pairs < 1 || pairs * 2 > HOSTS) {
    throw new Error(`pairs must be an integer from 1 to ${HOSTS / 2}, not ${pairs}`);
  }
  const actors = [];
  for (let pair = 0; pair < pairs; pair++) {
    const clientStart = (1 + pair * CLIENT_STAGGER).toFixed(5);
    const server = `node-${2 * pair}`;
    const client = `node-${2 * pair + 1}`;
    actors.push(
      `  <actor host="${server}" function="${program}" start_time="0">` +
        `<argument value="server"/><argument value="${PORT}"/><argument value="${rounds}"/></actor>`,
      `  <actor host="${client}" function="${program}" start_time="${clientStart}">` +
        `<argument value="client"/><argument value="${server}"/><argument value="${PORT}"/><argument value="${rounds}"/></actor>`,
    );
  }
  return `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<!-- ${pairs} pingpong client/server pairs on examples/scale/cluster.xml: ${rounds} exchanges each (written by generate.js). -->
<platform version="4.1">
${actors.join('\n')}
</platform>
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: 'string', default: '10' }, program: { type: 'string', default: './pingpong' } },
  });
  try {
    if (positionals.length !== 1) throw new Error('usage: generate.js PAIRS [--rounds N] [--program PATH]');
    process.stdout.write(deployment(Number(positionals[0]), { rounds: Number(values.rounds), program: values.program }));
  } catch (error) {
    process.stderr.write(`generate.js: ${error.message}\n`);
    process.exitCode = 2;
  }
}
