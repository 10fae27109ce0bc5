import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toOcsfEvent } from '../../authority/audit-ocsf.js';
import type { AuditEntry } from '../../authority/audit-record.js';
import { toSyslogLine } from '../../authority/audit-syslog.js';
import { exportFileEnd } from './audit-export-file.js';

describe('where an export file ends (a following export continues it)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sym-export-end-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });
  const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const entry: AuditEntry = { version: 1, seq: 41, time: 0, type: 'member.added', actor: 'Ia', fields: { subject: 'Ib', sequence: '7' }, prevHash: '0'.repeat(64), hash: '1'.repeat(64) };

  it('reads the last record or checkpoint of JSONL, OCSF and syslog files, and refuses a partial or foreign last line', () => {
    expect(exportFileEnd(join(dir, 'missing.jsonl'))).toBeUndefined();
    expect(exportFileEnd(file('empty.jsonl', ''))).toBeUndefined();
    const record = `{"kind":"record","version":1,"seq":41,"time":0}\n`;
    expect(exportFileEnd(file('r.jsonl', `{"kind":"header"}\n${record}`))).toEqual({ lastSeq: 41, lastCheckpoint: -1 });
    expect(exportFileEnd(file('c.jsonl', `${record}{"kind":"checkpoint","version":2,"authority":"Ia","seq":41}\n`))).toEqual({ lastSeq: 41, lastCheckpoint: 41 });
    expect(exportFileEnd(file('h.jsonl', `{"kind":"header","format":"symbolon-audit-export","afterSeq":12}\n`))).toEqual({ lastSeq: 12, lastCheckpoint: -1 });
    expect(exportFileEnd(file('o.jsonl', `${JSON.stringify(toOcsfEvent(entry, 'Ia'))}\n`))).toEqual({ lastSeq: 41, lastCheckpoint: -1 });
    expect(exportFileEnd(file('s.log', `${toSyslogLine(entry, 'Ia', 'bank')}\n`))).toEqual({ lastSeq: 41, lastCheckpoint: -1 });
    expect(() => exportFileEnd(file('p.jsonl', record.slice(0, 20)))).toThrow(/partial line/);
    expect(() => exportFileEnd(file('x.txt', 'hello\n'))).toThrow(/not an audit export line/);
  });
});
