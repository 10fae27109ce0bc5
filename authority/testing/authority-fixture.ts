// Test helper: an Authority on a fresh SQLite store with a real Ed25519 key for checkpoints
// and a credential signer that signs a deterministic CBOR credential with it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, encodeDeterministic } from '../../core/cbor.js';
import { SoftwareSigningKey } from '../../core/vault/software-signing-key.js';
import { Authority, type AuthorityOptions } from '../authority.js';
import { openSqliteAuthorityStore } from '../authority-store-sqlite.js';
import type { SqlAuthorityStore } from '../sql-authority-store.js';

export interface AuthorityFixture {
  authority: Authority;
  store: SqlAuthorityStore;
  key: SoftwareSigningKey;
  dbPath: string;
  cleanup(): Promise<void>;
}

export async function authorityFixture(overrides: Partial<AuthorityOptions> = {}): Promise<AuthorityFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-authority-'));
  const dbPath = join(dir, 'authority.db');
  const store = await openSqliteAuthorityStore(dbPath);
  const key = SoftwareSigningKey.generate('ed25519');
  const authority = new Authority({
    store,
    identifier: 'Iauthority',
    project: { name: 'bank', route: '/ip4/127.0.0.1/tcp/4000', authorityChangeHistory: new Uint8Array([9, 9, 9]) },
    signCredential: async (subject, attributes, ttlMs) => {
      const expiresAt = Date.now() + ttlMs;
      const body = { subject, attributes, expiresAt };
      return { credential: encodeDeterministic({ body, signature: key.signDigest(digestOf(body)).bytes }), attestation: new Uint8Array([1]), expiresAt };
    },
    signDigest: async (digest) => key.signDigest(digest),
    publicKey: key.publicKey,
    ...overrides,
  });
  await authority.bootstrap('Iadmin');
  return { authority, store, key, dbPath, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}
