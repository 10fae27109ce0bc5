import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, assertBuilt, cleanupHome, recordedPids, runCli, runCliJson, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';

interface AuditRecordView { seq: number; type: string; actor: string; fields: Record<string, unknown> }

async function ok(home: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await runCliJson(home, args);
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${JSON.stringify(r.json)} ${r.stderr}`);
  return r.json as Record<string, unknown>;
}

async function auditOf(admin: string, subject: string): Promise<AuditRecordView[]> {
  return (await ok(admin, ['audit', 'show', '--subject', subject])).records as AuditRecordView[];
}

describe('member remove stops credential issuance, end to end with real processes', () => {
  const admin = tempHome('sym-rm-admin-');
  const member = tempHome('sym-rm-member-');
  let memberId = '';
  const pids: number[] = [];

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    pids.push(...recordedPids(admin), ...recordedPids(member));
    await Promise.all([admin, member].map((h) => cleanupHome(h)));
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  it('a member refreshes its credential on request', async () => {
    const port = await freePort();
    await ok(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`]);
    const ticket = (await ok(admin, ['project', 'ticket', '--attribute', 'team=ops'])).ticket as string;
    const enrolled = await ok(member, ['project', 'enroll', ticket]);
    memberId = enrolled.identifier as string;
    expect(enrolled).toMatchObject({ project: 'bank', role: 'member', attributes: { team: 'ops' } });

    const before = Date.now();
    const refreshed = await ok(member, ['project', 'refresh']);
    expect(refreshed).toMatchObject({ project: 'bank', identifier: memberId });
    expect(Date.parse(refreshed.createdAt as string)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(refreshed.expiresAt as string)).toBeGreaterThan(Date.now());
    expect(refreshed.credentialHash).toMatch(/^[0-9a-f]{64}$/);

    const human = await runCli(member, ['project', 'refresh', 'bank', '--at', 'default']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Credential for project bank refreshed/);
    expect(human.stdout).toMatch(/expires at:\s+\d{4}-\d\d-\d\dT/);

    const issued = (await auditOf(admin, memberId)).filter((r) => r.type === 'credential.issued');
    expect(issued.length).toBeGreaterThanOrEqual(3);
    expect(issued.some((r) => r.fields.credentialHash === refreshed.credentialHash)).toBe(true);
  }, 90_000);

  it('after member remove, refresh fails with a one-line "not a member" error, logged on the node and audited once; project show says so', async () => {
    const removed = await ok(admin, ['project', 'member', 'remove', memberId]);
    expect(removed).toMatchObject({ removed: true, accessEndedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), membersApplyBy: expect.any(String) });

    const refused = await runCli(member, ['project', 'refresh']);
    expect(refused.code).not.toBe(0);
    const errorLines = refused.stderr.trim().split('\n');
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/credential refused: not a member of this project/);
    expect(refused.stdout).not.toMatch(/refreshed/);

    const asJson = await runCliJson(member, ['project', 'refresh']);
    expect(asJson.code).not.toBe(0);
    expect(asJson.json).toMatchObject({ error: { kind: 'unauthorized', message: expect.stringMatching(/not a member/) } });

    const nodeLog = readFileSync(join(member, 'nodes', 'default', 'node.log'), 'utf8').split('\n');
    const logged = nodeLog.filter((l) => l.includes('credential refresh on request refused'));
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(logged[0]).toMatch(/not a member/);

    const log = await auditOf(admin, memberId);
    const removedAt = log.findIndex((r) => r.type === 'member.removed');
    expect(removedAt).toBeGreaterThanOrEqual(0);
    const after = log.slice(removedAt + 1);
    expect(after.filter((r) => r.type === 'credential.issued')).toEqual([]);
    // Identical refusals within a minute are one record (the rest are counted, then aggregated).
    const refusals = after.filter((r) => r.type === 'credential.refused');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ actor: memberId, fields: { subject: memberId, reason: 'not a member' } });
    expect(removed.accessEndedAt).toBe(new Date(log[removedAt]!.fields.accessEndedAt as number).toISOString());

    const shown = await ok(member, ['project', 'show']);
    expect(shown.membership).toMatchObject({ state: 'not-a-member', reason: expect.stringMatching(/not a member/) });
    const text = await runCli(member, ['project', 'show']);
    expect(text.stdout).toMatch(/membership:?\s+NOT A MEMBER since/);

    const removedText = await runCli(admin, ['project', 'member', 'remove', memberId]);
    expect(removedText.code).not.toBe(0);
    const other = `I${'ab'.repeat(32)}`;
    await ok(admin, ['project', 'member', 'add', other, '--attribute', 'team=x']);
    const printed = await runCli(admin, ['project', 'member', 'remove', other]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/access ended:?\s+\d{4}-\d\d-\d\dT[\d:.]+Z \(project node: channels and relays closed\)/);
    expect(printed.stdout).toMatch(/member nodes:?\s+refuse it by \d{4}-/);
    const human = await runCli(admin, ['audit', 'show', '--subject', memberId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/credential\.refused/);
  }, 90_000);
});
