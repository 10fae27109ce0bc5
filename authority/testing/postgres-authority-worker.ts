// Test helper process: one authority process serving a project whose state lives in the
// Postgres database at argv[2]. At time argv[6] it attempts argv[5] concurrent redemptions
// of the ticket code argv[3] (hex) as enrollees I<argv[4]>-<i>, and prints the outcomes
// ('ok' or the refusal reason) as a JSON array. The authority's signing key secret comes
// from SYMBOLON_TEST_AUTHORITY_KEY (hex) so both processes act as the same authority.
import { digestOf, encodeDeterministic } from '../../core/cbor.js';
import { SoftwareSigningKey } from '../../core/vault/software-signing-key.js';
import { Authority } from '../authority.js';
import { openPostgresAuthorityStore } from '../authority-store-postgres.js';
import { TicketRefusedError } from '../ticket-refused-error.js';

const [url, codeHex, id, count, startAt] = process.argv.slice(2) as [string, string, string, string, string];
const key = SoftwareSigningKey.fromSecret('ed25519', Buffer.from(process.env.SYMBOLON_TEST_AUTHORITY_KEY ?? '', 'hex'));
const store = await openPostgresAuthorityStore(url, { maxConnections: 10 });
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
const code = new Uint8Array(Buffer.from(codeHex, 'hex'));
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const outcomes = await Promise.all(Array.from({ length: Number(count) }, async (_, i) => {
  try {
    await authority.redeemTicket(code, `I${id}-${i}`);
    return 'ok';
  } catch (error) {
    if (error instanceof TicketRefusedError) return error.reason;
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}));
await store.close();
process.stdout.write(JSON.stringify(outcomes));
