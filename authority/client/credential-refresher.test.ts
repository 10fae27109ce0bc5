import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyCredential } from '../../core/credential/credential.js';
import { IoError } from '../../core/errors.js';
import { nowSeconds } from '../../core/identity/seconds.js';
import { credentialRefreshAt } from '../credential-lifetime.js';
import type { FetchedCredential } from '../services/wire-records.js';
import { projectFixture, type ProjectFixture } from '../services/testing/project-fixture.js';
import type { AuthorityClient } from './authority-client.js';
import { CredentialRefresher } from './credential-refresher.js';

const MINUTE = 60_000;

describe('CredentialRefresher', () => {
  let f: ProjectFixture;
  let client: AuthorityClient;
  let subject: string;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    f = await projectFixture({ credentialTtlMs: 10 * MINUTE });
    const worker = await f.newIdentity();
    subject = worker.identifier;
    await (await f.clientFor(f.admin)).addMember(subject, { attributes: { component: 'db' } });
    client = await f.clientFor(worker);
  });

  afterEach(async () => {
    await f.cleanup();
    vi.useRealTimers();
  });

  const verify = (c: FetchedCredential) => verifyCredential(c, { subject, trustedIssuers: new Map([[f.authorityIdentity.identifier, f.authorityIdentity]]), now: nowSeconds() });

  it('fetches a new credential at the refresh margin, before expiry, and hands it on', async () => {
    const first = await client.fetchCredential();
    const got: FetchedCredential[] = [];
    const refresher = new CredentialRefresher({ fetchCredential: (o) => client.fetchCredential(o), onCredential: (c) => { got.push(c); }, current: first, jitter: 0 });
    refresher.start();
    expect(refresher.nextFetchAt).toBe(credentialRefreshAt(first.createdAt, first.expiresAt));
    expect(refresher.nextFetchAt).toBe(first.expiresAt - 2 * MINUTE);
    await vi.advanceTimersByTimeAsync(8 * MINUTE - 2000);
    expect(got).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2000);
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(Date.now()).toBeLessThan(first.expiresAt);
    expect(got[0]!.expiresAt).toBeGreaterThan(first.expiresAt);
    expect(verify(got[0]!).attributes).toEqual({ component: 'db', role: 'member' });
    expect(refresher.current).toBe(got[0]);
    expect(refresher.nextFetchAt).toBe(credentialRefreshAt(got[0]!.createdAt, got[0]!.expiresAt));
    await vi.advanceTimersByTimeAsync(8 * MINUTE);
    await vi.waitFor(() => expect(got).toHaveLength(2));
    await refresher.stop();
    expect(refresher.nextFetchAt).toBeUndefined();
    const issued = (await f.store.readAudit({ subject, limit: 100 })).filter((r) => r.type === 'credential.issued');
    expect(issued.map((r) => r.fields.credentialHash)).toEqual([first, ...got].map((c) => c.credentialHash));
  });

  it('retries with exponential backoff after failures, then succeeds', async () => {
    const attempts: number[] = [];
    const got: FetchedCredential[] = [];
    const refresher = new CredentialRefresher({
      fetchCredential: async (o) => {
        attempts.push(Date.now());
        if (attempts.length <= 3) throw new IoError('authority', 'connection refused');
        return await client.fetchCredential(o);
      },
      onCredential: (c) => { got.push(c); }, jitter: 0, retryInitialMs: 1000, retryMaxMs: 3000,
    });
    const start = Date.now();
    refresher.start();
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 3000);
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(attempts.map((t) => t - start)).toEqual([0, 1000, 3000, 6000]);
    expect(verify(got[0]!).subject).toBe(subject);
    await refresher.stop();
  });

  it('stops at "not a member" (one fetch, one refusal, state not-a-member) and stop() is still safe', async () => {
    const first = await client.fetchCredential();
    await (await f.clientFor(f.admin)).removeMember(subject);
    const errors: unknown[] = [];
    const ended: unknown[] = [];
    const refresher = new CredentialRefresher({
      fetchCredential: (o) => client.fetchCredential(o).catch((e: unknown) => { errors.push(e); throw e; }),
      onCredential: () => { throw new Error('no credential expected'); }, current: first, jitter: 0, retryInitialMs: 1000, retryMaxMs: 4000,
      onNotMember: (e) => ended.push(e),
    });
    refresher.start();
    await vi.advanceTimersByTimeAsync(8 * MINUTE + 60 * MINUTE);
    await vi.waitFor(() => expect(ended).toHaveLength(1));
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('credential refused: not a member of this project');
    expect(refresher.state).toBe('not-a-member');
    expect(refresher.nextFetchAt).toBeUndefined();
    await refresher.stop();
    expect(refresher.current).toBe(first);
  });

  it('backs off to refusalRetryMaxMs while the authority refuses for another reason (suspended)', async () => {
    const first = await client.fetchCredential();
    await (await f.clientFor(f.admin)).suspendMember(subject);
    const errors: unknown[] = [];
    const refresher = new CredentialRefresher({
      fetchCredential: (o) => client.fetchCredential(o).catch((e: unknown) => { errors.push(e); throw e; }),
      onCredential: () => undefined, current: first, jitter: 0, retryInitialMs: 1000, retryMaxMs: 4000, refusalRetryMaxMs: 16_000,
    });
    refresher.start();
    await vi.advanceTimersByTimeAsync(8 * MINUTE + 1000 + 2000 + 4000 + 8000 + 16_000 + 16_000);
    await vi.waitFor(() => expect(errors.length).toBe(7));
    expect((errors[0] as Error).message).toBe('credential refused: this member is suspended');
    expect(refresher.state).toBe('running');
    await refresher.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(errors).toHaveLength(7);
  });

  it('waits at least the minimum interval when the lifetime is shorter than the refresh margin', async () => {
    let fetches = 0;
    const refresher = new CredentialRefresher({
      fetchCredential: async () => {
        fetches++;
        const now = Date.now();
        return { credential: new Uint8Array([1]), attestation: new Uint8Array([2]), createdAt: now, expiresAt: now + MINUTE, credentialHash: '0'.repeat(64) };
      },
      onCredential: () => undefined, minIntervalMs: 5000,
    });
    refresher.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetches).toBe(1);
    await vi.advanceTimersByTimeAsync(4999);
    expect(fetches).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetches).toBe(2);
    await refresher.stop();
  });
});
