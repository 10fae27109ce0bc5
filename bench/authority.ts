// Credential issuances per second through the Authority with the audit log on (SQLite,
// WAL), each issuance a real Ed25519 signature, a membership check and a chained audit
// record committed before the call returns. Prints one JSON line; exports the measurement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { digestOf, encodeDeterministic } from '../core/cbor.js';
import { SoftwareSigningKey } from '../core/vault/software-signing-key.js';
import { Authority } from '../authority/authority.js';
import { openSqliteAuthorityStore } from '../authority/authority-store-sqlite.js';

/** Result of {@link benchCredentialIssuance}. */
export interface IssuanceBench {
  readonly name: 'credentials_issued_per_second';
  readonly value: number;
  readonly issued: number;
  readonly seconds: number;
  readonly store: 'sqlite';
}

/** Issues credentials for `durationMs` (at most `maxIssued`) with `concurrency` requests in flight. */
export async function benchCredentialIssuance(durationMs = 2000, concurrency = 16, maxIssued = 50_000): Promise<IssuanceBench> {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-bench-authority-'));
  const store = await openSqliteAuthorityStore(join(dir, 'authority.db'));
  try {
    const key = SoftwareSigningKey.generate('ed25519');
    const authority = new Authority({
      store, identifier: 'Iauthority',
      project: { name: 'bench', route: '/ip4/127.0.0.1/tcp/4000', authorityChangeHistory: new Uint8Array([1]) },
      signCredential: async (subject, attributes, ttlMs) => {
        const body = { subject, attributes, createdAt: Date.now(), expiresAt: Date.now() + ttlMs };
        return { credential: encodeDeterministic({ body, signature: key.signDigest(digestOf(body)).bytes }), attestation: new Uint8Array(0), expiresAt: body.expiresAt };
      },
      signDigest: async (digest) => key.signDigest(digest),
    });
    await authority.bootstrap('Iadmin');
    const members = 100;
    for (let i = 0; i < members; i++) await authority.addMember('Iadmin', `Imember${i}`, { attributes: { component: 'db', n: String(i) } });
    let issued = 0;
    const start = performance.now();
    const deadline = start + durationMs;
    const loop = async (lane: number): Promise<void> => {
      for (let i = lane; performance.now() < deadline && issued < maxIssued; i += concurrency) {
        await authority.issueCredentialFor(`Imember${i % members}`);
        issued++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, lane) => loop(lane)));
    const seconds = (performance.now() - start) / 1000;
    return { name: 'credentials_issued_per_second', value: Math.round(issued / seconds), issued, seconds: Number(seconds.toFixed(3)), store: 'sqlite' };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchCredentialIssuance())}\n`);
}
