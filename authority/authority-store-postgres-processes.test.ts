import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoftwareSigningKey } from '../core/vault/software-signing-key.js';
import { startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import { auditRecordHash, GENESIS_HASH, type AuditEntry } from './audit-record.js';
import { verifyAuditExport } from './audit-verify.js';
import { Authority } from './authority.js';
import { openPostgresAuthorityStore } from './authority-store-postgres.js';
import type { SqlAuthorityStore } from './sql-authority-store.js';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./testing/postgres-authority-worker.ts', import.meta.url));

let server: TestPostgres;
let n = 0;
beforeAll(async () => { server = await startTestPostgres(); });
afterAll(async () => { await server?.stop(); });

/** The project's first authority process (this one): creates the database, bootstraps the admin and creates tickets. */
async function project(): Promise<{ url: string; store: SqlAuthorityStore; authority: Authority; key: SoftwareSigningKey }> {
  const url = await server.createDatabase(`authority_processes_${++n}`);
  const store = await openPostgresAuthorityStore(url);
  const key = SoftwareSigningKey.generate('ed25519');
  const authority = new Authority({
    store, identifier: 'Iauthority',
    project: { name: 'bank', route: '/ip4/127.0.0.1/tcp/4000', authorityChangeHistory: new Uint8Array([9]) },
    signCredential: async () => { throw new Error('this test issues no credentials'); },
    signDigest: async (digest) => key.signDigest(digest),
    publicKey: key.publicKey,
  });
  await authority.bootstrap('Iadmin');
  return { url, store, authority, key };
}

/** Runs two authority processes on `url`, each attempting `perProcess` concurrent redemptions of `code` at the same instant. */
async function raceTwoProcesses(url: string, code: Uint8Array, perProcess: number, key: SoftwareSigningKey): Promise<string[]> {
  const startAt = String(Date.now() + 2_000);
  const env = { ...process.env, SYMBOLON_TEST_AUTHORITY_KEY: Buffer.from(key.exportSecret()).toString('hex') };
  const outputs = await Promise.all(['p0', 'p1'].map((id) =>
    run(process.execPath, ['--import', 'tsx', worker, url, Buffer.from(code).toString('hex'), id, String(perProcess), startAt], { timeout: 30_000, env })));
  return outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
}

/** Checks seq runs 1..n with no gap and each record's prevHash is its predecessor's hash. */
function expectContinuousChain(log: readonly AuditEntry[]): void {
  expect(log.map((r) => r.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
  let prev = GENESIS_HASH;
  for (const r of log) {
    expect(r.prevHash).toBe(prev);
    expect(auditRecordHash(r)).toBe(r.hash);
    prev = r.hash;
  }
}

describe('postgres authority shared by two processes', () => {
  it('lets exactly one of 50 concurrent redemptions (25 per process) of a single-use ticket succeed, audited once redeemed and 49 refused on one chain', async () => {
    const p = await project();
    try {
      const ticket = await p.authority.createTicket('Iadmin', { attributes: { team: 'ops' } });
      const results = await raceTwoProcesses(p.url, ticket.code, 25, p.key);
      expect(results).toHaveLength(50);
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'used-up')).toHaveLength(49);

      const log = await p.store.readAudit();
      expectContinuousChain(log);
      const redeemed = log.filter((r) => r.type === 'ticket.redeemed');
      const refused = log.filter((r) => r.type === 'ticket.refused');
      expect(redeemed).toHaveLength(1);
      expect(refused).toHaveLength(49);
      expect(refused.every((r) => JSON.stringify(r.fields).includes('used'))).toBe(true);
      // bootstrap admin, ticket created, 1 redeemed + its member, 49 refused
      expect(log).toHaveLength(1 + 1 + 2 + 49);
      const members = (await p.authority.listMembers('Iadmin')).filter((m) => m.role === 'member');
      expect(members).toHaveLength(1);
      expect(members[0]).toMatchObject({ identifier: redeemed[0]!.actor, attributes: { team: 'ops' } });
      expect(JSON.stringify(log)).not.toContain(Buffer.from(ticket.code).toString('hex'));

      const verification = verifyAuditExport(await p.authority.exportAudit(), [p.key.publicKey], { authority: 'Iauthority' });
      expect(verification).toMatchObject({ ok: true, records: log.length });
    } finally { await p.store.close(); }
  });

  it('admits exactly 3 of 20 concurrent redemptions (10 per process) of a ticket with usage count 3', async () => {
    const p = await project();
    try {
      const ticket = await p.authority.createTicket('Iadmin', { usageCount: 3 });
      const results = await raceTwoProcesses(p.url, ticket.code, 10, p.key);
      expect(results.filter((r) => r === 'ok')).toHaveLength(3);
      expect(results.filter((r) => r === 'used-up')).toHaveLength(17);
      const log = await p.store.readAudit();
      expectContinuousChain(log);
      expect(log.filter((r) => r.type === 'ticket.redeemed')).toHaveLength(3);
      expect(log.filter((r) => r.type === 'ticket.refused')).toHaveLength(17);
      expect((await p.authority.listMembers('Iadmin')).filter((m) => m.role === 'member')).toHaveLength(3);
    } finally { await p.store.close(); }
  });
});
