import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

it("the README's test API example is test/e2e/api.test.ts, which the suite runs", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### As a library'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const test = readFileSync(join(REPO_ROOT, 'test', 'e2e', 'api.test.ts'), 'utf8');
  // The test file starts with one line saying where it comes from.
  expect(example).toBe(test.slice(test.indexOf('\n') + 1));
});
