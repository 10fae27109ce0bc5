import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { Authority } from '../../../authority/authority.js';
import { openSqliteAuthorityStore } from '../../../authority/authority-store-sqlite.js';
import { digestOf, encodeDeterministic } from '../../../core/cbor.js';
import { SoftwareSigningKey } from '../../../core/vault/software-signing-key.js';
import { countingAuthorityStore, newAuthorityCounts } from './authority-counts.js';
import { registerAuthorityMetrics } from './node-collectors.js';
import { metricValue } from './testing/metric-value.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function countedAuthority() {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-metrics-authority-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const opened = await openSqliteAuthorityStore(join(dir, 'authority.db'));
  cleanups.push(() => opened.close());
  const counts = newAuthorityCounts();
  const store = countingAuthorityStore(opened, counts);
  const key = SoftwareSigningKey.generate('ed25519');
  const authority = new Authority({
    store,
    identifier: 'Iauthority',
    project: { name: 'bank', route: '/ip4/127.0.0.1/tcp/4000', authorityChangeHistory: new Uint8Array([9]) },
    signCredential: async (subject, attributes, ttlMs) => {
      const expiresAt = Date.now() + ttlMs;
      const body = { subject, attributes, expiresAt };
      return { credential: encodeDeterministic({ body, signature: key.signDigest(digestOf(body)).bytes }), attestation: new Uint8Array([1]), expiresAt };
    },
    signDigest: async (digest) => key.signDigest(digest),
    publicKey: key.publicKey,
  });
  await authority.bootstrap('Iadmin');
  return { authority, store, counts };
}

describe('countingAuthorityStore', () => {
  it('counts what commits: tickets, enrollments and refusals by reason, credentials issued and refused, access refusals', async () => {
    const { authority, store, counts } = await countedAuthority();
    const ticket = await authority.createTicket('Iadmin', { attributes: { component: 'db' } });
    await authority.redeemTicket(ticket.code, 'Imember');
    await expect(authority.redeemTicket(ticket.code, 'Iother')).rejects.toThrow();
    await expect(authority.redeemTicket(new Uint8Array(32), 'Iother')).rejects.toThrow();
    await authority.issueCredentialFor('Imember');
    await expect(authority.issueCredentialFor('Inobody')).rejects.toThrow();
    await expect(authority.createTicket('Imember')).rejects.toThrow();

    expect(counts).toEqual({
      ticketsCreated: 1, enrollments: 1, enrollmentsRefused: { unknown: 1, expired: 0, 'used-up': 1, 'own-ticket': 0, 'creator-not-authorised': 0, suspended: 0 },
      credentialsIssued: 1, credentialsRefused: 1, accessRefused: 1,
    });
    // The counts agree with the audit log the same calls appended to.
    const types = (await store.readAudit({ limit: 1000 })).map((r) => r.type);
    expect(types.filter((t) => t === 'ticket.created')).toHaveLength(counts.ticketsCreated);
    expect(types.filter((t) => t === 'credential.issued')).toHaveLength(counts.credentialsIssued);
  });

  it('counts nothing for a transaction that rolls back', async () => {
    const { store, counts } = await countedAuthority();
    await expect(store.withTransaction(async (tx) => {
      await tx.recordRefusal('credential.refused', 'Ix', { subject: 'Ix', reason: 'not a member' });
      throw new Error('abandoned');
    })).rejects.toThrow('abandoned');
    expect(counts.credentialsRefused).toBe(0);
  });

  it('counts refusals written later as one aggregate record by their count', async () => {
    const { store, counts } = await countedAuthority();
    await store.withTransaction(async (tx) => {
      await tx.recordRefusal('refusals.aggregated', 'Ix', { refusedType: 'credential.refused', reason: 'not a member', count: 5, identities: 1, firstAt: 1, lastAt: 2, subject: 'Ix' });
      await tx.recordRefusal('refusals.aggregated', 'Ix', { refusedType: 'ticket.refused', reason: 'unknown', count: 3, identities: 1, firstAt: 1, lastAt: 2, subject: 'Ix' });
    });
    expect(counts.credentialsRefused).toBe(5);
    expect(counts.enrollmentsRefused.unknown).toBe(3);
  });

  it('exports the counts, the audit head and the relays held as authority metrics', async () => {
    const { authority, store, counts } = await countedAuthority();
    await authority.createTicket('Iadmin');
    const registry = new Registry();
    registerAuthorityMetrics(registry, { counts, auditHeadSeq: async () => (await store.auditHead()).seq, relaysHeld: () => 2 });
    const text = await registry.metrics();
    expect(metricValue(text, 'symbolon_authority_tickets_created_total')).toBe(1);
    expect(metricValue(text, 'symbolon_authority_enrollments_refused_total', { reason: 'used-up' })).toBe(0);
    expect(metricValue(text, 'symbolon_authority_audit_head_sequence')).toBe((await store.auditHead()).seq);
    expect(metricValue(text, 'symbolon_relays_held')).toBe(2);
  });

  it('serves the other metrics when the store does not answer for the audit head', async () => {
    const registry = new Registry();
    registerAuthorityMetrics(registry, { counts: newAuthorityCounts(), auditHeadSeq: () => Promise.reject(new Error('database down')), relaysHeld: () => 0 });
    const text = await registry.metrics();
    expect(metricValue(text, 'symbolon_authority_audit_head_sequence')).toBeUndefined();
    expect(metricValue(text, 'symbolon_relays_held')).toBe(0);
  });
});
