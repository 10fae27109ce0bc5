/**
 * A credential the authority commits after its caller went away is marked undelivered in
 * the audit log. Real processes: the project node on a real Postgres, a member node. The
 * database is frozen while the member asks for a fresh credential, the member's node is
 * killed meanwhile, then the database resumes: the authority completes the issuance (its
 * request deadline has not passed) but can no longer answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { freePort, Scenario, waitFor } from '../support/scenario.js';

interface ExportedRecord { kind: string; type?: string; seq?: number; fields?: Record<string, unknown> }

describe('a credential whose answer was lost is marked undelivered in the audit log', () => {
  const s = Scenario.create({ prefix: 'sym-undelivered-' });
  let pg: TestPostgres | undefined;
  let member = '';

  const signalPostgres = (sig: NodeJS.Signals): void => {
    for (const pid of pg?.pids() ?? []) { try { process.kill(pid, sig); } catch { /* gone */ } }
  };

  async function exportedRecords(): Promise<ExportedRecord[]> {
    const file = join(s.root, `audit-${Date.now()}.jsonl`);
    await s.ok('admin', ['audit', 'export', '--output', file]);
    return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExportedRecord & { record?: ExportedRecord })
      .map((l) => (l.record !== undefined ? { ...l.record, kind: l.kind } : l));
  }

  beforeAll(async () => {
    assertBuilt();
    pg = await startTestPostgres();
    const db = await pg.createDatabase('authority');
    const port = await freePort();
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`, '--database', db]);
    const ticket = (await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db'])).trim();
    await s.ok('bank', ['project', 'enroll', s.writeFile('bank.ticket', `${ticket}\n`)]);
    member = (await s.json<{ identifier: string }>('bank', ['identity', 'show'])).identifier;
  }, 120_000);

  afterAll(async () => {
    signalPostgres('SIGCONT');
    await s.cleanup();
    await pg?.stop();
  }, 60_000);

  it('freeze the database, ask for a credential, kill the asking node, resume: credential.issued then credential.undelivered with the same hash', async () => {
    const before = (await exportedRecords()).filter((r) => r.type === 'credential.issued' && r.fields?.subject === member).length;
    signalPostgres('SIGSTOP');
    let thawed = false;
    try {
      const refresh = runCli(s.homes.bank, ['project', 'refresh'], { timeoutMs: 60_000 });
      // The request reaches the authority (the CLI starts, asks its node, the node asks the
      // project node) and waits on the frozen database; the freeze stays below the database
      // timeouts (5 s), so the request is still alive when the database resumes.
      await new Promise((r) => setTimeout(r, 3_000));
      for (const pid of s.nodePids('bank')) process.kill(pid, 'SIGKILL');
      // The project node notices the closed connection and drops that channel at once.
      await new Promise((r) => setTimeout(r, 300));
      signalPostgres('SIGCONT');
      thawed = true;
      expect((await refresh).code).not.toBe(0);
      const records = await waitFor('credential.undelivered in the audit log', async () => {
        const all = await exportedRecords();
        return all.some((r) => r.type === 'credential.undelivered') ? all : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 }).catch((error: unknown) => {
        const log = readFileSync(join(s.homes.admin, 'nodes', 'bank', 'node.log'), 'utf8').trim().split('\n');
        throw new Error(`${(error as Error).message}; project node log: ${log.filter((l) => /authority|credential|channel closed/.test(l)).slice(-8).join('\n')}`);
      });
      const issued = records.filter((r) => r.type === 'credential.issued' && r.fields?.subject === member);
      expect(issued.length).toBe(before + 1);
      const last = issued[issued.length - 1]!;
      const undelivered = records.filter((r) => r.type === 'credential.undelivered');
      expect(undelivered).toHaveLength(1);
      expect(undelivered[0]!.fields).toMatchObject({ subject: member, credentialHash: last.fields!.credentialHash, reason: expect.stringMatching(/channel closed/) });
      expect(undelivered[0]!.seq!).toBeGreaterThan(last.seq!);
      const file = join(s.root, 'final.jsonl');
      await s.ok('admin', ['audit', 'export', '--output', file]);
      await s.ok('admin', ['audit', 'verify', file, '--authority', join(s.homes.admin, 'projects', 'bank.json')]);
    } finally {
      if (!thawed) signalPostgres('SIGCONT');
    }
  }, 120_000);
});
