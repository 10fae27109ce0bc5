import { describe, expect, it } from 'vitest';
import { createIdentity } from '../core/identity/identity-lifecycle.js';
import { attestPurposeKey } from '../core/identity/purpose-key-attestation.js';
import { MemoryVault } from '../core/vault/memory-vault.js';
import { signerKeyId } from '../core/credential/signer-key.js';
import { encodeRevocationList, entryRevokes, REVOCATION_LIST_VERSION, verifyRevocationList, type SignedRevocationList, type WithdrawnSigner } from './revocation-list.js';

async function signer() {
  const vault = new MemoryVault();
  const identity = await createIdentity(vault, 'ed25519');
  const key = await vault.generateSigningKey('ed25519');
  const attestation = await attestPurposeKey(identity, vault, undefined, 'credential-signing', await vault.signingPublicKey(key));
  const keyId = signerKeyId(await vault.signingPublicKey(key));
  const sign = async (
    entries: Array<{ identifier: string; kind: 'removed' | 'suspended'; revokedAt: number }>, issuedAt = Date.now(), withdrawnSigners: WithdrawnSigner[] = [],
  ): Promise<SignedRevocationList> => {
    const { bytes, digest } = encodeRevocationList({ version: REVOCATION_LIST_VERSION, authority: identity.identifier, issuedAt, expiresAt: issuedAt + 60_000, entries, withdrawnSigners });
    return { list: bytes, signature: await vault.signDigest(key, digest), attestation };
  };
  return { identity, sign, keyId };
}

describe('revocation lists', () => {
  it('verify only with the authority that signed them, untouched, and not from the future', async () => {
    const a = await signer();
    const other = await signer();
    const entries = [{ identifier: 'Ix', kind: 'removed' as const, revokedAt: 5_000 }];
    const signed = await a.sign(entries);
    expect(verifyRevocationList(signed, a.identity, Date.now())).toMatchObject({ authority: a.identity.identifier, entries });
    expect(() => verifyRevocationList(signed, other.identity, Date.now())).toThrow(/signing key attestation/);
    const tampered = { ...signed, list: Uint8Array.from(signed.list, (b, i) => (i === signed.list.length - 1 ? b ^ 1 : b)) };
    expect(() => verifyRevocationList(tampered, a.identity, Date.now())).toThrow(/bad signature/);
    const future = await a.sign(entries, Date.now() + 3_600_000);
    expect(() => verifyRevocationList(future, a.identity, Date.now())).toThrow(/future/);
  });

  it('carry withdrawn signing keys, and are refused when they name their own signing key as withdrawn', async () => {
    const a = await signer();
    const other = 'K' + 'ab'.repeat(16);
    const signed = await a.sign([], Date.now(), [{ key: other, withdrawnAt: 1_000 }]);
    expect(verifyRevocationList(signed, a.identity, Date.now()).withdrawnSigners).toEqual([{ key: other, withdrawnAt: 1_000 }]);
    const self = await a.sign([], Date.now(), [{ key: a.keyId, withdrawnAt: 1_000 }]);
    expect(() => verifyRevocationList(self, a.identity, Date.now())).toThrow(new RegExp(`signed by the withdrawn key ${a.keyId}`));
    const malformed = await a.sign([], Date.now(), [{ key: 'not-a-key', withdrawnAt: 1 }]);
    expect(() => verifyRevocationList(malformed, a.identity, Date.now())).toThrow(/malformed withdrawn signer/);
  });

  it('a removal revokes credentials created at or before it; a suspension revokes all', () => {
    const removed = { identifier: 'Ix', kind: 'removed' as const, revokedAt: 10_500 };
    expect(entryRevokes(removed, 10)).toBe(true);
    expect(entryRevokes(removed, 11)).toBe(false);
    expect(entryRevokes({ ...removed, kind: 'suspended' }, 99)).toBe(true);
  });
});
