import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentity } from '../core/identity/identity-lifecycle.js';
import { MemoryVault } from '../core/vault/memory-vault.js';
import type { AuditEntry } from '../authority/audit-record.js';
import { auditSample, type AuditSample } from '../authority/testing/audit-sample.js';
import { assertBuilt, cleanupHome, runCli, tempHome } from './support/cli.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
/** CI sets this (.ci/run): without Chromium the test fails instead of being skipped. */
const required = process.env.SYMBOLON_REQUIRE_CHROMIUM === '1';

/** Runs headless Chromium (Debian's package) with its own profile folder; resolves stdout. */
function chromium(profile: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM as string, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, ...args], { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe.skipIf(CHROMIUM === undefined && !required)('audit report rendered in headless Chromium', () => {
  const home = tempHome('sym-audit-report-');
  let sample: AuditSample | undefined;
  let records: AuditEntry[] = [];
  let exportFile = '';
  let authorityFile = '';

  beforeAll(async () => {
    assertBuilt();
    if (CHROMIUM === undefined) throw new Error('chromium is not installed (apt-get install chromium) and SYMBOLON_REQUIRE_CHROMIUM=1 requires this test');
    const vault = new MemoryVault();
    const identity = await createIdentity(vault, 'ed25519');
    sample = await auditSample({ unusual: true, overrides: { identifier: identity.identifier, signDigest: (d) => identity.sign(vault, d), publicKey: identity.currentPublicKey } });
    // The last ticket of the sample expires after 1 s: let it expire before the report is built.
    await new Promise((r) => setTimeout(r, 1200));
    const lines = await sample.authority.exportAudit();
    exportFile = join(home, 'audit.jsonl');
    writeFileSync(exportFile, `${lines.join('\n')}\n`);
    authorityFile = join(home, 'authority.json');
    writeFileSync(authorityFile, JSON.stringify(identity.toJSON()));
    records = lines.map((l) => JSON.parse(l) as { kind: string } & AuditEntry).filter((l) => (l as { kind: string }).kind === 'record');
  }, 60_000);
  afterAll(async () => {
    await sample?.cleanup();
    await cleanupHome(home);
  });

  it('shows the numbers of the export, the unusual things and a chart, verified, with no script, asset or secret', async () => {
    const report = join(home, 'report.html');
    const made = await runCli(home, ['audit', 'report', '--from', exportFile, '--authority', authorityFile, '--since', '1h', '--output', report]);
    expect([made.code, made.stderr]).toEqual([0, expect.stringMatching(/written to .*report\.html \(log verified\)/)]);
    const html = readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(/i);
    for (const code of sample!.codes) {
      expect(html).not.toContain(Buffer.from(code).toString('hex'));
      expect(html).not.toContain(Buffer.from(code).toString('base64url'));
    }

    const profile = join(home, 'chromium');
    mkdirSync(profile);
    const dom = await chromium(profile, ['--dump-dom', `file://${report}`]);
    const png = join(home, 'report.png');
    await chromium(profile, [`--screenshot=${png}`, '--window-size=1200,2400', `file://${report}`]);
    expect(statSync(png).size).toBeGreaterThan(10_000);

    // The numbers as Chromium parsed them.
    const metric = (name: string): number => Number(new RegExp(`data-metric="${name.replace('.', '\\.')}">(\\d+)<`).exec(dom)?.[1] ?? NaN);
    const rows = (attr: string): Map<string, number> => new Map([...dom.matchAll(new RegExp(`<tr data-${attr}="([^"]*)" data-count="(\\d+)"`, 'g'))].map((m) => [m[1] as string, Number(m[2])]));
    const bars = (series: string): number => [...dom.matchAll(new RegExp(`<rect class="${series}" data-series="${series}" data-start="[^"]+" data-count="(\\d+)"`, 'g'))].reduce((n, m) => n + Number(m[1]), 0);

    // The same numbers counted straight from the export.
    const of = (type: string): AuditEntry[] => records.filter((r) => r.type === type);
    const aggregated = of('refusals.aggregated');
    const counted = (refusedType: string): number => aggregated.filter((r) => r.fields.refusedType === refusedType).reduce((n, r) => n + (r.fields.count as number), 0);
    const refusals = records.filter((r) => r.type.endsWith('.refused')).length + aggregated.reduce((n, r) => n + (r.fields.count as number), 0);
    const redemptions = (hash: string): number => of('ticket.redeemed').filter((r) => r.fields.ticketHash === hash && r.fields.retry !== true).length;
    const expired = of('ticket.created').filter((t) => (t.fields.expiresAt as number) <= Date.now() && redemptions(t.fields.ticketHash as string) < (t.fields.usageCount as number)).length;
    const perMember = new Map<string, number>();
    for (const r of of('credential.issued')) perMember.set(r.fields.subject as string, (perMember.get(r.fields.subject as string) ?? 0) + 1);

    expect(dom).toContain('data-verification="ok"');
    expect({
      created: metric('tickets.created'), redeemed: metric('tickets.redeemed'), expired: metric('tickets.expired'), refusedTickets: metric('tickets.refused'),
      added: metric('members.added'), removed: metric('members.removed'), issued: metric('credentials.issued'), refusals: metric('refusals.total'), records: metric('log.records'),
    }).toEqual({
      created: of('ticket.created').length, redeemed: of('ticket.redeemed').filter((r) => r.fields.retry !== true).length, expired, refusedTickets: of('ticket.refused').length + counted('ticket.refused'),
      added: of('member.added').length, removed: of('member.removed').length, issued: of('credential.issued').length, refusals, records: records.length,
    });
    expect(expired).toBe(1);
    expect(rows('member')).toEqual(perMember);
    expect(rows('attribute').get('component=db')).toBe(of('credential.issued').filter((r) => (r.fields.attributes as Record<string, string>).component === 'db').length);
    expect([...rows('reason').values()].reduce((a, b) => a + b, 0)).toBe(refusals);
    expect(bars('issued')).toBe(of('credential.issued').length);
    expect(bars('refused')).toBe(refusals);
    const shared = of('ticket.created').find((t) => (t.fields.attributes as Record<string, string>).component === 'shared')!;
    expect(dom).toContain(`data-shared-ticket="${shared.fields.ticketHash as string}"`);
    expect(Number(/data-burst="(\d+)"/.exec(dom)?.[1])).toBeGreaterThanOrEqual(20);
  }, 120_000);

  it('says so when the log does not verify (and fails), and as Markdown', async () => {
    const lines = readFileSync(exportFile, 'utf8').trim().split('\n');
    const tampered = join(home, 'tampered.jsonl');
    writeFileSync(tampered, `${lines.map((l) => l.replace('"component":"db"', '"component":"admin"')).join('\n')}\n`);
    const report = join(home, 'tampered.html');
    const made = await runCli(home, ['audit', 'report', '--from', tampered, '--authority', authorityFile, '--output', report]);
    expect(made.code).not.toBe(0);
    expect(made.stderr).toMatch(/VERIFICATION FAILED/);
    expect(readFileSync(report, 'utf8')).toMatch(/data-verification="failed"[^]*does not match its hash/);

    const md = await runCli(home, ['audit', 'report', '--from', exportFile, '--format', 'md']);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# Audit report\n/);
    expect(md.stdout).toMatch(/\*\*Not verified\*\*/);
    expect(md.stdout).toMatch(new RegExp(`\\| credentials issued \\| ${records.filter((r) => r.type === 'credential.issued').length} \\|`));
  }, 60_000);
});
