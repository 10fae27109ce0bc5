import { describe, expect, it } from 'vitest';
import type { AuditEntry } from './audit-record.js';
import { escapeParamValue, toSyslogLine } from './audit-syslog.js';
import { auditSample } from './testing/audit-sample.js';

interface Syslog {
  pri: number; version: number; timestamp: string; hostname: string; appName: string; procId: string; msgId: string;
  sd: Map<string, Map<string, string>>; msg: string;
}

/**
 * A strict RFC 5424 (section 6) parser: HEADER fields of PRINTUSASCII with their length
 * limits, FULL-DATE "T" FULL-TIME timestamps, SD-ELEMENTs with SD-NAMEs of at most 32
 * characters and PARAM-VALUEs where only `\"`, `\\` and `\]` are escapes. Throws on anything else.
 */
function parse5424(line: string): Syslog {
  let i = 0;
  const take = (re: RegExp, what: string): string => {
    re.lastIndex = i;
    const m = re.exec(line);
    if (m === null || m.index !== i) throw new Error(`bad ${what} at ${i}: ${line.slice(i, i + 40)}`);
    i += m[0].length;
    return m[1] ?? m[0];
  };
  const pri = Number(take(/<(\d{1,3})>/y, 'PRI'));
  if (pri > 191) throw new Error('PRI out of range');
  const version = Number(take(/([1-9]\d{0,2}) /y, 'VERSION'));
  const timestamp = take(/(-|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})) /y, 'TIMESTAMP');
  const hostname = take(/([\x21-\x7e]{1,255}) /y, 'HOSTNAME');
  const appName = take(/([\x21-\x7e]{1,48}) /y, 'APP-NAME');
  const procId = take(/([\x21-\x7e]{1,128}) /y, 'PROCID');
  const msgId = take(/([\x21-\x7e]{1,32}) /y, 'MSGID');
  const sd = new Map<string, Map<string, string>>();
  if (line[i] === '-') i++;
  else {
    while (line[i] === '[') {
      i++;
      const id = take(/([^= \]"\x00-\x20\x7f-\uffff]{1,32})/y, 'SD-ID');
      const params = new Map<string, string>();
      while (line[i] === ' ') {
        i++;
        const name = take(/([^= \]"\x00-\x20\x7f-\uffff]{1,32})="/y, 'PARAM-NAME');
        let value = '';
        for (;;) {
          const c = line[i++];
          if (c === undefined) throw new Error('unterminated PARAM-VALUE');
          if (c === '"') break;
          if (c === '\\' && (line[i] === '"' || line[i] === '\\' || line[i] === ']')) { value += line[i++]; continue; }
          if (c === ']') throw new Error('unescaped ] in PARAM-VALUE');
          value += c;
        }
        params.set(name, value);
      }
      if (line[i++] !== ']') throw new Error('SD-ELEMENT not closed');
      if (sd.has(id)) throw new Error(`SD-ID ${id} twice`);
      sd.set(id, params);
    }
  }
  const msg = i === line.length ? '' : take(/ ([\s\S]*)/y, 'MSG');
  if (/[\r\n]/.test(line)) throw new Error('a line break inside the line');
  return { pri, version, timestamp, hostname, appName, procId, msgId, sd, msg };
}

describe('RFC 5424 syslog lines of the authority log', () => {
  it('every record parses strictly, round-trips its fields through the escaping, and holds no secret', async () => {
    const s = await auditSample();
    try {
      const entries = (await s.authority.exportAudit()).map((l) => JSON.parse(l) as { kind: string } & AuditEntry).filter((l) => l.kind === 'record');
      for (const entry of entries) {
        const line = toSyslogLine(entry, 'Iauthority', 'bank');
        const p = parse5424(line);
        const refusal = entry.type.endsWith('.refused') || entry.type === 'refusals.aggregated';
        expect(p).toMatchObject({ pri: refusal ? 108 : 110, version: 1, timestamp: new Date(entry.time).toISOString(), hostname: 'bank', appName: 'symbolon', procId: '-', msgId: entry.type });
        expect(Object.fromEntries(p.sd.get('audit@32473')!)).toEqual({ seq: String(entry.seq), hash: entry.hash, prevHash: entry.prevHash, authority: 'Iauthority', actor: entry.actor });
        const fields = Object.fromEntries(p.sd.get('fields@32473') ?? []);
        for (const [k, v] of Object.entries(entry.fields)) expect(fields[k], `${entry.type} ${k}`).toBe(typeof v === 'object' ? JSON.stringify(v) : String(v));
        expect(p.msg.length).toBeGreaterThan(0);
        for (const code of s.codes) {
          expect(line).not.toContain(Buffer.from(code).toString('hex'));
          expect(line).not.toContain(Buffer.from(code).toString('base64url'));
        }
      }
      // The attribute value with `"`, `]` and `\` arrived intact through the escaping.
      const ticket = entries.find((e) => e.type === 'ticket.created')!;
      const attributes = parse5424(toSyslogLine(ticket, 'Iauthority', 'bank')).sd.get('fields@32473')!.get('attributes')!;
      expect(JSON.parse(attributes)).toMatchObject({ note: 'quote " bracket ] backslash \\ end' });
    } finally { await s.cleanup(); }
  });

  it('escapes per RFC 5424 6.3.3 and keeps a record on one line', () => {
    expect(escapeParamValue('a"b]c\\d')).toBe('a\\"b\\]c\\\\d');
    const entry: AuditEntry = { version: 1, seq: 1, time: 0, type: 'member.added', actor: 'I x', fields: { subject: 'line\nbreak', 'a name with spaces and = and "quotes" that is far too long': 'v' }, prevHash: '0'.repeat(64), hash: '1'.repeat(64) };
    const p = parse5424(toSyslogLine(entry, 'Iauthority', 'my project'));
    expect(p.hostname).toBe('my_project');
    expect(p.sd.get('fields@32473')!.get('subject')).toBe('line\\u000abreak');
    expect([...p.sd.get('fields@32473')!.keys()][1]).toHaveLength(32);
  });
});
