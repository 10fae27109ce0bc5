import { describe, expect, it } from 'vitest';
import { MemoryVault } from '../vault/memory-vault.js';
import { createIdentity, rotateIdentity } from './identity-lifecycle.js';
import { verifyPurposeKeyAttestation } from './purpose-key-attestation.js';
import { MemoryPurposeKeyStore } from './purpose-key-store.js';
import { PurposeKeys } from './purpose-keys.js';

const T0 = 1_700_000_000;
const DAY = 86_400;

describe('PurposeKeys', () => {
  it('creates, reuses, reloads and re-attests purpose keys', async () => {
    const primary = new MemoryVault({ name: 'kms-like' });
    const local = new MemoryVault({ name: 'local' });
    const identity = await createIdentity(primary, 'p256', { now: T0, ttl: 365 * DAY });
    const store = new MemoryPurposeKeyStore();
    let now = T0;
    let signatures = 0;
    const counting = Object.assign(Object.create(primary) as MemoryVault, {
      signDigest: (...args: Parameters<MemoryVault['signDigest']>) => { signatures++; return primary.signDigest(...args); },
    });
    const options = { identity, identityVault: counting, secureChannelVault: local, credentialVault: local, store, ttl: 4 * DAY, clock: () => now };
    const keys = new PurposeKeys(options);
    const [a, b] = await Promise.all([keys.secureChannelKey(), keys.secureChannelKey()]);
    expect(a).toBe(b);
    expect(signatures).toBe(1);
    expect(verifyPurposeKeyAttestation(a.attestation, identity, 'secure-channel', now).publicKey.bytes).toEqual(local.x25519PublicKey(a.handle));
    const signing = await keys.credentialSigningKey();
    expect(verifyPurposeKeyAttestation(signing.attestation, identity, 'credential-signing', now).publicKey).toEqual(signing.publicKey);
    expect(signatures).toBe(2);

    const restarted = new PurposeKeys(options);
    expect((await restarted.secureChannelKey()).attestation).toEqual(a.attestation);
    expect(signatures).toBe(2);

    now = T0 + 3 * DAY + 1;
    const renewed = await restarted.secureChannelKey();
    expect(renewed.handle).toEqual(a.handle);
    expect(renewed.expiresAt).toBe(now + 4 * DAY);
    expect(signatures).toBe(3);

    const rotated = await rotateIdentity(identity, primary, primary, 'ed25519', { now });
    const afterRotation = await new PurposeKeys({ ...options, identity: rotated, identityVault: primary }).secureChannelKey();
    expect(afterRotation.handle).toEqual(a.handle);
    expect(verifyPurposeKeyAttestation(afterRotation.attestation, rotated, 'secure-channel', now).subject).toBe(identity.identifier);

    await local.deleteX25519Key(a.handle);
    const replaced = await new PurposeKeys({ ...options, identity: rotated, identityVault: primary }).secureChannelKey();
    expect(replaced.handle.id).not.toBe(a.handle.id);
  });

  it('replaces the credential-signing key once (concurrent callers naming the same old key share the new one), deleting the old key', async () => {
    const primary = new MemoryVault({ name: 'hsm-like' });
    const local = new MemoryVault({ name: 'local' });
    const identity = await createIdentity(primary, 'ed25519', { now: T0, ttl: 365 * DAY });
    const store = new MemoryPurposeKeyStore();
    const keys = new PurposeKeys({ identity, identityVault: primary, secureChannelVault: local, credentialVault: local, store, clock: () => T0 });
    const old = await keys.credentialSigningKey();
    // A fresh instance (a restarted node) replacing the recorded key by id.
    const restarted = new PurposeKeys({ identity, identityVault: primary, secureChannelVault: local, credentialVault: local, store, clock: () => T0 });
    const [x, y] = await Promise.all([
      restarted.replaceCredentialSigningKey({ unless: old.handle.id }), restarted.replaceCredentialSigningKey({ unless: old.handle.id }),
    ]);
    expect(x.handle.id).not.toBe(old.handle.id);
    expect(y.handle.id).toBe(x.handle.id);
    expect(verifyPurposeKeyAttestation(x.attestation, identity, 'credential-signing', T0).publicKey).toEqual(x.publicKey);
    await expect(local.signingPublicKey(old.handle)).rejects.toThrow();
    expect((await store.load(identity.identifier, 'credential-signing'))?.id).toBe(x.handle.id);
    expect((await restarted.credentialSigningKey()).handle.id).toBe(x.handle.id);
  });

  it('needs the primary key handle and a sensible renewal window', async () => {
    const vault = new MemoryVault();
    const identity = await createIdentity(vault, 'ed25519', { now: T0 });
    const base = { identityVault: vault, secureChannelVault: vault };
    expect(() => new PurposeKeys({ ...base, identity: identity.withPrimaryKeyHandle(identity.primaryKeyHandle!), ttl: 10, renewBeforeSeconds: 10 })).toThrow(/renewBeforeSeconds/);
    const { primaryKeyHandle: _, ...rest } = identity.toJSON();
    const { Identity } = await import('./identity.js');
    expect(() => new PurposeKeys({ ...base, identity: Identity.fromJSON(rest, T0) })).toThrow(/primary key handle/);
    await expect(new PurposeKeys({ ...base, identity }).credentialSigningKey()).rejects.toThrow(/no credential vault/);
  });
});
