import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, encodeDeterministic } from '../core/cbor.js';
import { SymbolonError } from '../core/errors.js';
import { SoftwareSigningKey } from '../core/vault/software-signing-key.js';
import { startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import { Authority } from './authority.js';
import { openPostgresAuthorityStore } from './authority-store-postgres.js';
import type { SqlAuthorityStore } from './sql-authority-store.js';

let server: TestPostgres;
beforeAll(async () => { server = await startTestPostgres(); }, 60_000);
afterAll(async () => { await server?.stop(); });

/** The server's postmaster and every process it started (backends, writers ...). */
function serverPids(): number[] {
  const postmaster = Number(readFileSync(join(server.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch { /* gone */ }
  }
  return pids;
}

const signal = (pids: readonly number[], sig: NodeJS.Signals): void => {
  for (const pid of pids) { try { process.kill(pid, sig); } catch { /* gone */ } }
};

describe('the authority on a Postgres that stops answering', () => {
  it('times out abandoned requests and does not complete them when the database comes back', async () => {
    const url = await server.createDatabase('authority_freeze');
    const store: SqlAuthorityStore = await openPostgresAuthorityStore(url, { statementTimeoutMs: 1000 });
    const key = SoftwareSigningKey.generate('ed25519');
    const authority = new Authority({
      store, identifier: 'Iauthority',
      project: { name: 'bank', route: '/ip4/127.0.0.1/tcp/4000', authorityChangeHistory: new Uint8Array([9]) },
      signCredential: async (subject, attributes, ttlMs) => {
        const body = { subject, attributes, expiresAt: Date.now() + ttlMs };
        return { credential: encodeDeterministic({ body, signature: key.signDigest(digestOf(body)).bytes }), attestation: new Uint8Array([1]), expiresAt: body.expiresAt };
      },
      signDigest: async (digest) => key.signDigest(digest),
      publicKey: key.publicKey,
    });
    const frozen = serverPids();
    try {
      await authority.bootstrap('Iadmin');
      await authority.redeemTicket((await authority.createTicket('Iadmin')).code, 'Imember');
      const second = await authority.createTicket('Iadmin');
      const before = (await store.readAudit({ limit: 100_000 })).length;

      const stopped = serverPids();
      signal(stopped, 'SIGSTOP');
      const started = Date.now();
      // Whatever happens to the requests, the server runs again after 5 s.
      const thaw = setTimeout(() => signal(stopped, 'SIGCONT'), 5000);
      // Each request gives up after 3 s, as the service does for a caller that is gone.
      const results = await Promise.allSettled([
        authority.issueCredentialFor('Imember', { signal: AbortSignal.timeout(3000) }),
        authority.redeemTicket(second.code, 'Inewcomer', { signal: AbortSignal.timeout(3000) }),
      ]);
      const elapsed = Date.now() - started;
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const error = (r as PromiseRejectedResult).reason as SymbolonError;
        expect(error).toBeInstanceOf(SymbolonError);
        expect(['timeout', 'aborted']).toContain(error.kind);
      }
      expect(elapsed).toBeLessThan(10_000);
      // Stay frozen past every timeout, then let the server run the requests it had queued.
      await new Promise((r) => setTimeout(r, Math.max(0, 5000 - elapsed)));
      clearTimeout(thaw);
      signal(stopped, 'SIGCONT');
      await new Promise((r) => setTimeout(r, 2000));

      const after = await store.readAudit({ afterSeq: 0, limit: 100_000 });
      expect(after.slice(before).filter((r) => r.type === 'credential.issued' || r.type === 'ticket.redeemed' || r.type === 'member.added')).toEqual([]);
      expect(await store.getMember('Inewcomer')).toBeUndefined();
      // The store works again once the database answers.
      expect((await authority.issueCredentialFor('Imember')).credentialHash).toMatch(/^[0-9a-f]{64}$/);
      expect((await authority.redeemTicket(second.code, 'Inewcomer')).identifier).toBe('Inewcomer');
    } finally {
      signal(frozen, 'SIGCONT');
      signal(serverPids(), 'SIGCONT');
      await store.close();
    }
  }, 60_000);
});
