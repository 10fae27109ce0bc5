import { describe, expect, it } from 'vitest';
import { decodeStrict, encodeDeterministic } from '../cbor.js';
import { MemoryVault } from '../vault/memory-vault.js';
import { createIdentity, rotateIdentity } from './identity-lifecycle.js';
import { attestPurposeKey, verifyPurposeKeyAttestation, verifySecureChannelAttestation } from './purpose-key-attestation.js';

const T0 = 1_700_000_000;
const DAY = 86_400;

async function setup(type: 'ed25519' | 'p256') {
  const vault = new MemoryVault();
  const identity = await createIdentity(vault, type, { now: T0, ttl: 365 * DAY });
  const x = await vault.generateX25519Key();
  const xKey = { type: 'x25519' as const, bytes: vault.x25519PublicKey(x) };
  return { vault, identity, xKey };
}

describe('purpose-key attestations', () => {
  for (const type of ['ed25519', 'p256'] as const) {
    it(`attests and verifies both purposes with a ${type} primary key`, async () => {
      const { vault, identity, xKey } = await setup(type);
      const attestation = await attestPurposeKey(identity, vault, identity.primaryKeyHandle, 'secure-channel', xKey, { ttl: DAY, now: T0 });
      const verified = verifyPurposeKeyAttestation(attestation, identity, 'secure-channel', T0 + 1);
      expect(verified).toMatchObject({ subject: identity.identifier, purpose: 'secure-channel', createdAt: T0, expiresAt: T0 + DAY });
      expect(verified.publicKey.bytes).toEqual(xKey.bytes);
      expect(verifySecureChannelAttestation(attestation, identity, xKey.bytes, T0).subject).toBe(identity.identifier);
      expect(() => verifySecureChannelAttestation(attestation, identity, new Uint8Array(32).fill(9), T0)).toThrow(expect.objectContaining({ reason: 'key-mismatch' }));
      const signing = await vault.signingPublicKey(await vault.generateSigningKey('p256'));
      const credAttestation = await attestPurposeKey(identity, vault, undefined, 'credential-signing', signing, { now: T0 });
      expect(verifyPurposeKeyAttestation(credAttestation, identity, 'credential-signing', T0).publicKey).toEqual(signing);
    });
  }

  it('rejects tampering, the wrong identity, purpose and time', async () => {
    const { vault, identity, xKey } = await setup('ed25519');
    const attestation = await attestPurposeKey(identity, vault, undefined, 'secure-channel', xKey, { ttl: DAY, now: T0 });
    const reason = (fn: () => unknown): string | undefined => {
      try { fn(); } catch (e) { return (e as { reason?: string }).reason; }
      return undefined;
    };
    // A success first: the checks below then also run against the remembered verification.
    expect(verifyPurposeKeyAttestation(attestation, identity, 'secure-channel', T0).subject).toBe(identity.identifier);
    const env = decodeStrict<{ data: Uint8Array; signature: Uint8Array }>(attestation);
    const sig = Uint8Array.from(env.signature); sig[0] = (sig[0] ?? 0) ^ 1;
    expect(reason(() => verifyPurposeKeyAttestation(encodeDeterministic({ ...env, signature: sig }), identity, 'secure-channel', T0))).toBe('bad-signature');
    const data = decodeStrict<Record<string, unknown>>(env.data);
    const longer = encodeDeterministic({ ...data, expiresAt: T0 + 99 * DAY });
    expect(reason(() => verifyPurposeKeyAttestation(encodeDeterministic({ ...env, data: longer }), identity, 'secure-channel', T0))).toBe('bad-signature');
    expect(reason(() => verifyPurposeKeyAttestation(attestation.subarray(1), identity, 'secure-channel', T0))).toBe('malformed');
    const other = await createIdentity(vault, 'ed25519', { now: T0 });
    expect(reason(() => verifyPurposeKeyAttestation(attestation, other, 'secure-channel', T0))).toBe('bad-signature');
    expect(reason(() => verifyPurposeKeyAttestation(attestation, identity, 'credential-signing', T0))).toBe('wrong-purpose');
    expect(reason(() => verifyPurposeKeyAttestation(attestation, identity, 'secure-channel', T0 - 61))).toBe('not-yet-valid');
    expect(reason(() => verifyPurposeKeyAttestation(attestation, identity, 'secure-channel', T0 + DAY + 60))).toBe('expired');
    expect(verifyPurposeKeyAttestation(attestation, identity, 'secure-channel', T0 + DAY + 59).expiresAt).toBe(T0 + DAY);
    const rotated = await rotateIdentity(identity, vault, vault, 'p256', { now: T0 + 1 });
    expect(reason(() => verifyPurposeKeyAttestation(attestation, rotated, 'secure-channel', T0 + 2))).toBe('bad-signature');
  });

  it('refuses keys that do not fit the purpose and caps validity at the primary key expiry', async () => {
    const { vault, identity, xKey } = await setup('p256');
    await expect(attestPurposeKey(identity, vault, undefined, 'credential-signing', xKey, { now: T0 })).rejects.toThrow(/ed25519 or p256/);
    await expect(attestPurposeKey(identity, vault, undefined, 'secure-channel', { type: 'x25519', bytes: new Uint8Array(31) }, { now: T0 })).rejects.toThrow(/32-byte/);
    const capped = await attestPurposeKey(identity, vault, undefined, 'secure-channel', xKey, { now: T0, ttl: 1000 * DAY });
    expect(verifyPurposeKeyAttestation(capped, identity, 'secure-channel', T0).expiresAt).toBe(identity.expiresAt);
  });
});
