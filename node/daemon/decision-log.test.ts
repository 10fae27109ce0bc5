import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { DenialLog, type Denial } from '../../policy/denial-log.js';
import { FilePolicyStore } from '../../policy/policy-store-file.js';
import { decisionFileLines, decisionFileNumbers, decisionFilePath, decisionLogLines, nodeAuditExportLines } from '../home/decision-log-files.js';
import { verifyDecisionLines } from '../home/decision-log-verify.js';
import { NodeDecisionLog } from './decision-log.js';

const denial = (i: number, subject?: string): Denial => ({
  at: new Date(1_700_000_000_000 + i).toISOString(), resource: { type: 'worker', name: 'echo', node: 'b' }, action: 'handle',
  reason: 'denied by resource echo policy: subject.component == "db" is false',
  policy: { scope: { kind: 'resource', name: 'echo' }, expression: 'subject.component == "db"' },
  ...(subject !== undefined ? { subject } : {}),
});

describe('node decision log', () => {
  let dir: string;
  let now: number;
  const clock = (): number => now;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sym-decisions-')); now = 1_700_000_000_000; });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('keeps denials and policy changes across a reopen, chained, and policy denials reads them back', async () => {
    const policies = await FilePolicyStore.open(join(dir, 'policies.json'));
    let log = NodeDecisionLog.open({ dir: join(dir, 'decisions'), node: 'b', logger: silentLogger, clock });
    const denials = new DenialLog();
    denials.attach(log);
    policies.onChange((c) => log.recordPolicyChange(c));
    await policies.create({ kind: 'resource', name: 'echo' }, 'subject.component == "db"');
    await policies.create({ kind: 'resource', name: 'echo' }, 'subject.component == "analysis"');
    await policies.delete({ kind: 'resource', name: 'echo' });
    denials.record(denial(1, 'Ialice'));
    denials.record(denial(2));
    log.close();

    log = NodeDecisionLog.open({ dir: join(dir, 'decisions'), node: 'b', logger: silentLogger, clock });
    denials.attach(log);
    expect(denials.recent(10).map((d) => d.subject ?? '-')).toEqual(['-', 'Ialice']);
    denials.record(denial(3, 'Ibob'));
    log.close();

    const lines = [...decisionLogLines(join(dir, 'decisions'))];
    const records = lines.map((l) => JSON.parse(l) as { kind: string; type?: string; actor?: string; fields?: Record<string, unknown> }).filter((r) => r.kind === 'record');
    expect(records.map((r) => r.type)).toEqual(['policy.created', 'policy.replaced', 'policy.deleted', 'access.denied', 'access.denied', 'access.denied']);
    expect(records[1]).toMatchObject({ actor: expect.stringMatching(/^local:/), fields: { scope: { kind: 'resource', name: 'echo' }, before: 'subject.component == "db"', after: 'subject.component == "analysis"', via: 'control socket' } });
    expect(records[2]!.fields).not.toHaveProperty('after');
    expect(records[3]).toMatchObject({ actor: 'Ialice', fields: { resource: { type: 'worker', name: 'echo', node: 'b' }, action: 'handle', expression: 'subject.component == "db"' } });
    expect(records[4]!.actor).toBe('unauthenticated');
    expect(verifyDecisionLines(lines)).toMatchObject({ ok: true, node: 'b', records: 6, startSeq: 0 });
    const exported = [...nodeAuditExportLines(join(dir, 'decisions'), 'b', now)];
    expect(verifyDecisionLines(exported)).toMatchObject({ ok: true, records: 6 });
  });

  it('detects an edited, removed or reordered line, and a reopened log keeps the damage visible', () => {
    const decisions = join(dir, 'decisions');
    const log = NodeDecisionLog.open({ dir: decisions, node: 'b', logger: silentLogger, clock });
    for (let i = 0; i < 5; i++) log.record(denial(i, `I${i}`));
    const pinned = log.head();
    log.close();
    const file = decisionFilePath(decisions, 1);
    const original = readFileSync(file, 'utf8');
    const lines = original.trimEnd().split('\n');
    expect(verifyDecisionLines(lines, { pin: pinned })).toMatchObject({ ok: true, pinned: true });

    const edited = lines.map((l, i) => (i === 3 ? l.replace('"I2"', '"Imallory"') : l));
    expect(verifyDecisionLines(edited)).toMatchObject({ ok: false, failedAt: 3, reason: expect.stringMatching(/does not match its hash/) });
    expect(verifyDecisionLines(lines.filter((_, i) => i !== 2))).toMatchObject({ ok: false, failedAt: 2, reason: expect.stringMatching(/missing/) });
    expect(verifyDecisionLines([lines[0]!, lines[2]!, lines[1]!])).toMatchObject({ ok: false, failedAt: 1 });
    // Cut off the end: the chain alone cannot tell, the pinned head can.
    expect(verifyDecisionLines(lines.slice(0, 4))).toMatchObject({ ok: true });
    expect(verifyDecisionLines(lines.slice(0, 4), { pin: pinned })).toMatchObject({ ok: false, reason: expect.stringMatching(/before the pinned head/) });
    expect(verifyDecisionLines(lines, { pin: { seq: 3, hash: 'ab'.repeat(32) } })).toMatchObject({ ok: false, failedAt: 3, reason: expect.stringMatching(/not the pinned head/) });

    // The node restarts on an edited file: it goes on in a new file, and verification still fails at the edit.
    writeFileSync(file, `${edited.join('\n')}\n`);
    const reopened = NodeDecisionLog.open({ dir: decisions, node: 'b', logger: silentLogger, clock });
    reopened.record(denial(9, 'I9'));
    reopened.close();
    expect(decisionFileNumbers(decisions)).toEqual([1, 2]);
    expect(verifyDecisionLines([...decisionLogLines(decisions)])).toMatchObject({ ok: false, failedAt: 3 });
  });

  it('cuts off a line left incomplete by a crash and continues the chain', () => {
    const decisions = join(dir, 'decisions');
    const log = NodeDecisionLog.open({ dir: decisions, node: 'b', logger: silentLogger, clock });
    log.record(denial(1, 'I1'));
    log.close();
    appendFileSync(decisionFilePath(decisions, 1), '{"kind":"record","version":1,"seq":2,"ti');
    const again = NodeDecisionLog.open({ dir: decisions, node: 'b', logger: silentLogger, clock });
    again.record(denial(2, 'I2'));
    again.close();
    expect(decisionFileNumbers(decisions)).toEqual([1]);
    expect(verifyDecisionLines(decisionFileLines(decisions, 1))).toMatchObject({ ok: true, records: 2 });
  });

  it('rotates by size, keeps a bounded number of files, and every kept file continues the one before', () => {
    const decisions = join(dir, 'decisions');
    const log = NodeDecisionLog.open({ dir: decisions, node: 'b', logger: silentLogger, clock, maxFileBytes: 4096, maxFiles: 3, maxDenialRecordsPerWindow: 10_000 });
    for (let i = 0; i < 200; i++) log.record(denial(i, `I${i}`));
    const head = log.head();
    log.close();
    const files = decisionFileNumbers(decisions);
    expect(files.length).toBe(3);
    expect(files[0]).toBeGreaterThan(1);
    for (const n of files) expect(readFileSync(decisionFilePath(decisions, n)).length).toBeLessThanOrEqual(4096);
    const all = [...decisionLogLines(decisions)];
    const result = verifyDecisionLines(all, { pin: head });
    expect(result).toMatchObject({ ok: true, pinned: true, head: { seq: 200 } });
    expect(result.ok && result.startSeq).toBeGreaterThan(0);
    expect(result.ok && result.warnings.join()).toMatch(/rotated away/);
    // Each file verifies on its own from its header, and continues the file before it.
    for (const n of files) expect(verifyDecisionLines(decisionFileLines(decisions, n))).toMatchObject({ ok: true });
    const dropped = [...decisionFileLines(decisions, files[0]!), ...decisionFileLines(decisions, files[2]!)];
    expect(verifyDecisionLines(dropped)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not continue from record/) });
    expect(verifyDecisionLines([...nodeAuditExportLines(decisions, 'b', now)], { pin: head })).toMatchObject({ ok: true, pinned: true });
  });

  it('aggregates a flood of denials per window instead of growing with it', () => {
    const decisions = join(dir, 'decisions');
    const log = NodeDecisionLog.open({ dir: decisions, node: 'b', logger: silentLogger, clock, denialWindowMs: 60_000, maxDenialRecordsPerWindow: 5 });
    for (let i = 0; i < 20_000; i++) log.record(denial(i, i % 2 === 0 ? 'Irepeat' : `Ifresh${i}`));
    now += 61_000;
    log.flush();
    log.close();
    const records = [...decisionLogLines(decisions)].map((l) => JSON.parse(l) as { kind: string; type: string; actor: string; fields: { count?: number; identities?: number } }).filter((r) => r.kind === 'record');
    expect(records.length).toBeLessThanOrEqual(8);
    const counted = records.filter((r) => r.type === 'denials.aggregated').reduce((n, r) => n + (r.fields.count ?? 0), 0);
    expect(counted + records.filter((r) => r.type === 'access.denied').length).toBe(20_000);
    expect(records.find((r) => r.actor === '*')?.fields.identities).toBeGreaterThan(1000);
    const reopened = NodeDecisionLog.open({ dir: decisions, node: 'b', logger: silentLogger, clock });
    expect(reopened.recent(1)[0]!.reason).toMatch(/more denials like this/);
    reopened.close();
  });
});
