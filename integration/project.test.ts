import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';
import { startTestPostgres, type TestPostgres } from './support/postgres.js';
import { freePort } from './support/free-port.js';

interface Member { identifier: string; role: string; attributes: Record<string, string> }

async function ok(home: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await runCliJson(home, args);
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${JSON.stringify(r.json)} ${r.stderr}`);
  return r.json as Record<string, unknown>;
}

describe('projects through the real CLI: create, tickets, enrollment, members, audit', () => {
  const admin = tempHome('sym-admin-');
  const bank = tempHome('sym-bank-');
  const analysis = tempHome('sym-analysis-');
  let bankId = '';
  let analysisId = '';

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await Promise.all([admin, bank, analysis].map((h) => cleanupHome(h)));
  });

  it('creates a project, enrolls two homes and refuses a used ticket', async () => {
    const port = await freePort();
    const created = await ok(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`]);
    expect(created).toMatchObject({ name: 'bank', route: `/ip4/127.0.0.1/tcp/${port}`, storage: 'sqlite' });
    expect(Date.parse(created.credentialExpiresAt as string)).toBeGreaterThan(Date.now());

    const dbTicket = (await ok(admin, ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres'])).ticket as string;
    expect(dbTicket).toMatch(/^symbolon-ticket-v1:/);
    const file = join(admin, 'analysis.ticket');
    const plain = await runCli(admin, ['project', 'ticket', '--attribute', 'component=analysis', '--output', file]);
    expect(plain.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const [b, a] = await Promise.all([ok(bank, ['project', 'enroll', dbTicket]), ok(analysis, ['project', 'enroll', file])]);
    expect(b).toMatchObject({ project: 'bank', role: 'member', attributes: { component: 'db', relay: 'postgres' } });
    expect(a).toMatchObject({ project: 'bank', role: 'member', attributes: { component: 'analysis' } });
    expect(Date.parse(a.credentialExpiresAt as string)).toBeGreaterThan(Date.now());
    bankId = b.identifier as string;
    analysisId = a.identifier as string;

    // The same identity may repeat its enrollment (idempotent); any other is refused.
    expect(await ok(bank, ['project', 'enroll', dbTicket])).toMatchObject({ identifier: b.identifier, role: 'member' });
    const again = await runCli(analysis, ['project', 'enroll', dbTicket]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/ticket refused: the ticket has already been used/);

    const shown = await ok(bank, ['project', 'show']);
    expect(shown).toMatchObject({ name: 'bank', role: 'member', hasCredential: true, authority: created.authority });
  }, 90_000);

  it('reloads the membership and keeps refreshing the credential when the node restarts', async () => {
    expect((await runCli(bank, ['node', 'stop', 'default'])).code).toBe(0);
    expect((await runCli(bank, ['node', 'start', 'default'])).code).toBe(0);
    const log = readFileSync(join(bank, 'nodes', 'default', 'node.log'), 'utf8').split('\n').filter((l) => l.includes('project membership restored'));
    expect(log.length).toBeGreaterThan(0);
    expect(log.at(-1)).toContain('"credentialValid":true');
  });

  it('lists members with their attributes and removes one', async () => {
    const { members } = await ok(admin, ['project', 'member', 'list']) as unknown as { members: Member[] };
    expect(members).toHaveLength(3);
    expect(members.find((m) => m.identifier === bankId)?.attributes).toEqual({ component: 'db', relay: 'postgres' });
    expect(members.find((m) => m.identifier === analysisId)?.attributes).toEqual({ component: 'analysis' });
    expect(members.filter((m) => m.role === 'admin')).toHaveLength(1);

    const refused = await runCli(bank, ['project', 'member', 'list']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/refused/);

    expect(await ok(admin, ['project', 'member', 'remove', analysisId])).toMatchObject({ removed: true });
    const gone = await runCli(admin, ['project', 'member', 'show', analysisId]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/not a member/);
  });

  it('exports an audit log that verifies offline, and names the first tampered record', async () => {
    const exported = join(admin, 'audit.jsonl');
    expect((await runCli(admin, ['audit', 'export', '--output', exported])).code).toBe(0);
    const authorityFile = join(admin, 'authority.json');
    const identity = await runCli(admin, ['project', 'show', 'bank', '--identity', '--json']);
    writeFileSync(authorityFile, identity.stdout);

    const verified = await ok(admin, ['audit', 'verify', exported, '--authority', authorityFile]);
    expect(verified.ok).toBe(true);
    expect(verified.records).toBeGreaterThanOrEqual(9);

    const lines = readFileSync(exported, 'utf8').trim().split('\n');
    const index = lines.findIndex((l) => l.includes('"type":"member.removed"'));
    const seq = (JSON.parse(lines[index]!) as { seq: number }).seq;
    lines[index] = lines[index]!.replace(analysisId, bankId);
    const tampered = join(admin, 'tampered.jsonl');
    writeFileSync(tampered, `${lines.join('\n')}\n`);
    const bad = await runCli(admin, ['audit', 'verify', tampered, '--authority', authorityFile]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`record ${seq} does not match its hash`);

    const shown = await ok(admin, ['audit', 'show', '--subject', analysisId, '--since', '1h']);
    const types = (shown.records as Array<{ type: string }>).map((r) => r.type);
    expect(types).toContain('member.removed');
    expect(types).toContain('ticket.redeemed');
  });
});

describe('a project whose authority state lives in Postgres', () => {
  const home = tempHome('sym-pg-');
  let pg: TestPostgres | undefined;

  beforeAll(async () => {
    assertBuilt();
    pg = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await cleanupHome(home);
    await pg?.stop();
  });

  it('creates the project on Postgres and serves tickets and members', async () => {
    const url = await pg!.createDatabase('authority_it');
    const port = await freePort();
    expect(await ok(home, ['project', 'create', 'pgproj', '--listen', `127.0.0.1:${port}`, '--database', url])).toMatchObject({ storage: 'postgres' });
    expect((await ok(home, ['project', 'ticket', '--attribute', 'a=b'])).ticket).toMatch(/^symbolon-ticket-v1:/);
    const { members } = await ok(home, ['project', 'member', 'list']) as unknown as { members: Member[] };
    expect(members.map((m) => m.role)).toEqual(['admin']);

    expect(await ok(home, ['project', 'delete', 'pgproj', '--yes'])).toMatchObject({ projectNodeDeleted: true });
    expect((await ok(home, ['project', 'list'])).projects).toEqual([]);
    const nodes = (await ok(home, ['node', 'list'])) as unknown as { nodes?: Array<{ name: string }> } | Array<{ name: string }>;
    expect(JSON.stringify(nodes)).not.toContain('"pgproj"');
  });
});
