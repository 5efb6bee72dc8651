import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import type { RunReport } from '../../src/index.js';
import { REPO_ROOT } from './paths.js';

/** The published JSON Schema of reports (schema/report.schema.json), as a script would read it. */
export const REPORT_SCHEMA = JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'report.schema.json'), 'utf8')) as Record<string, unknown>;

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(REPORT_SCHEMA);

/** Fails the test, naming every mismatch, unless `report` (a written report, parsed) is valid under the published schema. */
export function expectValidReport(report: unknown): asserts report is RunReport {
  const valid = validate(report);
  expect(validate.errors ?? [], 'the report does not follow schema/report.schema.json').toEqual([]);
  expect(valid).toBe(true);
}

/** Reads a report file a run wrote, checked against the published schema. */
export function readReport(path: string): RunReport {
  const report = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  expectValidReport(report);
  return report;
}
