import { describe, expect, it } from 'vitest';
import { RUN_ENDS } from '../../src/exit-status.js';
import { processesCsv } from '../../src/report/csv.js';
import type { ProcessReport } from '../../src/report/types.js';
import { RUN_OPTIONS } from '../../src/run-options.js';
import { REPORT_SCHEMA } from '../helpers/report-schema.js';

// Real reports are held to the schema by the end-to-end tests that write them;
// these check that the schema names what the code can write.

interface SchemaNode {
  enum?: string[];
  properties?: Record<string, SchemaNode>;
  $defs?: Record<string, SchemaNode>;
}

const schema = REPORT_SCHEMA as SchemaNode;

describe('the published report schema', () => {
  it('lists every way a run can end', () => {
    expect(schema.$defs!['runEnd']!.enum).toEqual([...RUN_ENDS]);
  });

  it("describes every run option, so that a new one is documented where scripts read the report's options", () => {
    const options = schema.$defs!['run']!.properties!['options']!.properties!;
    expect(Object.keys(options).sort()).toEqual(Object.keys(RUN_OPTIONS).sort());
  });
});

describe('--report-csv', () => {
  const process: ProcessReport = {
    host: 'alice',
    pid: 1002,
    parent: 1000,
    command: './odd, "quoted"\nname',
    exit: { signal: 11, core: true },
    status: 139,
    stopped: null,
    start: 0.5,
    end: 1.25,
    cpuTime: 0.001,
    bytesSent: 10,
    bytesReceived: 0,
  };

  it('quotes a field holding a comma, a quote or a line end, doubling its quotes (RFC 4180), and leaves absent values empty', () => {
    expect(processesCsv([process])).toBe(
      'host,pid,parent,command,exit_code,exit_signal,status,stopped,start,end,cpu_time,bytes_sent,bytes_received\r\n' +
        'alice,1002,1000,"./odd, ""quoted""\nname",,11,139,,0.5,1.25,0.001,10,0\r\n',
    );
  });

  it('is only its header for a run without processes', () => {
    expect(processesCsv([]).split('\r\n')).toHaveLength(2);
  });
});
