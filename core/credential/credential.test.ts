import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStrict, encodeDeterministic } from '../cbor.js';
import { createIdentity } from '../identity/identity-lifecycle.js';
import type { Identity } from '../identity/identity.js';
import { attestPurposeKey } from '../identity/purpose-key-attestation.js';
import type { KeyHandle, SigningKeyType } from '../vault/keys.js';
import { MemoryVault } from '../vault/memory-vault.js';
import { MAX_ATTRIBUTES } from './attributes.js';
import { signerKeyId } from './signer-key.js';
import {
  decodePresentedCredential, encodePresentedCredential, issueCredential, verifyCredential, type PresentedCredential,
} from './credential.js';

const T0 = 1_700_000_000;
const DAY = 86_400;

interface Authority { identity: Identity; vault: MemoryVault; key: KeyHandle; attestation: Uint8Array }

async function authority(primary: SigningKeyType, signing: SigningKeyType): Promise<Authority> {
  const vault = new MemoryVault();
  const identity = await createIdentity(vault, primary, { now: T0, ttl: 365 * DAY });
  const key = await vault.generateSigningKey(signing);
  const attestation = await attestPurposeKey(identity, vault, undefined, 'credential-signing', await vault.signingPublicKey(key), { now: T0, ttl: 30 * DAY });
  return { identity, vault, key, attestation };
}

const issue = (a: Authority, subject: string, attributes: Record<string, string>, ttl = DAY, now = T0): Promise<PresentedCredential> =>
  issueCredential({ issuer: a.identity, signingVault: a.vault, signingKey: a.key, attestation: a.attestation, subject, attributes, ttl, now });

function reason(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return (e as { reason?: string }).reason ?? (e as Error).message; }
  return undefined;
}

const attributeName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:-]{0,20}$/).filter((k) => k !== 'identifier');
const attributeMap = fc.dictionary(attributeName, fc.string({ unit: 'grapheme', maxLength: 40 }), { maxKeys: 12 });

describe('credentials', () => {
  let subject: string;
  let ed: Authority;
  let ec: Authority;
  beforeAll(async () => {
    subject = (await createIdentity(new MemoryVault(), 'ed25519', { now: T0 })).identifier;
    ed = await authority('ed25519', 'p256');
    ec = await authority('p256', 'ed25519');
  });
  const trusted = (...as: Authority[]): Map<string, Identity> => new Map(as.map((a) => [a.identity.identifier, a.identity]));

  test.prop([attributeMap, fc.boolean(), fc.integer({ min: 0, max: DAY - 1 })], { numRuns: 60 })(
    'round-trips random attributes for Ed25519 and P-256 issuers',
    async (attributes, useEc, elapsed) => {
      const a = useEc ? ec : ed;
      const presented = decodePresentedCredential(encodePresentedCredential(await issue(a, subject, attributes)));
      const verified = verifyCredential(presented, { subject, trustedIssuers: trusted(ed, ec), now: T0 + elapsed });
      expect(verified).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{32}$/), issuer: a.identity.identifier, subject, attributes, createdAt: T0, expiresAt: T0 + DAY,
        signerKey: signerKeyId(await a.vault.signingPublicKey(a.key)),
      });
    },
  );

  it('verifies credentials signed by any attested key of the issuer (one per replica), and refuses those of a withdrawn key', async () => {
    const second = await ed.vault.generateSigningKey('ed25519');
    const attestation = await attestPurposeKey(ed.identity, ed.vault, undefined, 'credential-signing', await ed.vault.signingPublicKey(second), { now: T0, ttl: 30 * DAY });
    const replicaB: Authority = { ...ed, key: second, attestation };
    const fromA = await issue(ed, subject, { role: 'a' });
    const fromB = await issue(replicaB, subject, { role: 'b' });
    const keyA = signerKeyId(await ed.vault.signingPublicKey(ed.key));
    const keyB = signerKeyId(await ed.vault.signingPublicKey(second));
    expect(keyA).not.toBe(keyB);
    const options = { subject, trustedIssuers: trusted(ed), now: T0 + 10 };
    expect(verifyCredential(fromA, options).signerKey).toBe(keyA);
    expect(verifyCredential(fromB, options).signerKey).toBe(keyB);
    const withdrawn = { ...options, isWithdrawnSigner: (issuer: string, key: string) => issuer === ed.identity.identifier && key === keyB };
    expect(verifyCredential(fromA, withdrawn).attributes).toEqual({ role: 'a' });
    expect(reason(() => verifyCredential(fromB, withdrawn))).toBe('withdrawn-signer');
    // A credential cannot claim another attested key: the signature must match the attestation it travels with.
    expect(reason(() => verifyCredential({ credential: fromB.credential, attestation: fromA.attestation }, withdrawn))).toBe('bad-signature');
  });

  it('gives every issuance its own id, so two identical issuances in the same second differ', async () => {
    const first = await issue(ed, subject, { component: 'db' });
    const second = await issue(ed, subject, { component: 'db' });
    expect(Buffer.compare(first.credential, second.credential)).not.toBe(0);
    const a = verifyCredential(first, { subject, trustedIssuers: trusted(ed), now: T0 });
    const b = verifyCredential(second, { subject, trustedIssuers: trusted(ed), now: T0 });
    expect(a.id).not.toBe(b.id);
    expect({ ...a, id: '' }).toEqual({ ...b, id: '' });
  });

  it('rejects an untrusted issuer, a wrong subject and tampering, each with its reason', async () => {
    const presented = await issue(ed, subject, { role: 'member' });
    const options = { subject, trustedIssuers: trusted(ed), now: T0 + 10 };
    expect(reason(() => verifyCredential(presented, { ...options, trustedIssuers: trusted(ec) }))).toBe('untrusted-issuer');
    expect(reason(() => verifyCredential(presented, { ...options, subject: ec.identity.identifier }))).toBe('wrong-subject');
    const envelope = decodeStrict<{ data: Uint8Array; signature: Uint8Array }>(presented.credential);
    const data = decodeStrict<Record<string, unknown>>(envelope.data);
    const forged = encodeDeterministic({ ...envelope, data: encodeDeterministic({ ...data, attributes: { role: 'admin' } }) });
    expect(reason(() => verifyCredential({ ...presented, credential: forged }, options))).toBe('bad-signature');
    const sig = Uint8Array.from(envelope.signature); sig[3] = (sig[3] ?? 0) ^ 0x10;
    expect(reason(() => verifyCredential({ ...presented, credential: encodeDeterministic({ ...envelope, signature: sig }) }, options))).toBe('bad-signature');
    expect(reason(() => verifyCredential({ ...presented, credential: presented.credential.subarray(0, 20) }, options))).toBe('malformed');
    const badAttestation = Uint8Array.from(presented.attestation); badAttestation[badAttestation.length - 1] ^= 1;
    expect(reason(() => verifyCredential({ ...presented, attestation: badAttestation }, options))).toBe('bad-attestation');
    expect(reason(() => verifyCredential({ ...presented, attestation: ec.attestation }, options))).toBe('bad-attestation');
    const reissuedAsEc = { credential: presented.credential, attestation: ec.attestation };
    expect(reason(() => verifyCredential(reissuedAsEc, { ...options, trustedIssuers: trusted(ed, ec) }))).toBe('bad-attestation');
  });

  it('after a successful verification, the same bytes still get every trust, subject and time check', async () => {
    const presented = await issue(ed, subject, { role: 'member' }, 3600, T0 + 100);
    const options = { subject, trustedIssuers: trusted(ed), now: T0 + 110 };
    for (let i = 0; i < 2; i++) expect(verifyCredential(presented, options).attributes).toEqual({ role: 'member' });
    expect(reason(() => verifyCredential(presented, { ...options, trustedIssuers: trusted(ec) }))).toBe('untrusted-issuer');
    expect(reason(() => verifyCredential(presented, { ...options, subject: ec.identity.identifier }))).toBe('wrong-subject');
    expect(reason(() => verifyCredential(presented, { ...options, now: T0 + 100 + 3600 + 60 }))).toBe('expired');
    expect(reason(() => verifyCredential(presented, { ...options, now: T0 + 39 }))).toBe('not-yet-valid');
    expect(reason(() => verifyCredential(presented, { ...options, now: T0 + 31 * DAY }))).toBe('bad-attestation');
    expect(reason(() => verifyCredential({ ...presented, attestation: ec.attestation }, options))).toBe('bad-attestation');
    expect(verifyCredential(presented, options).issuer).toBe(ed.identity.identifier);
  });

  it('enforces the validity window with 60 s of drift', async () => {
    const presented = await issue(ec, subject, { role: 'member' }, 3600, T0 + 100);
    const at = (now: number): string | undefined => reason(() => verifyCredential(presented, { subject, trustedIssuers: trusted(ec), now }));
    expect(at(T0 + 40)).toBeUndefined();
    expect(at(T0 + 39)).toBe('not-yet-valid');
    expect(at(T0 + 100 + 3600 + 59)).toBeUndefined();
    expect(at(T0 + 100 + 3600 + 60)).toBe('expired');
    expect(reason(() => verifyCredential(presented, { subject, trustedIssuers: trusted(ec), now: T0 + 100 + 3600 + 100, maxDriftSeconds: 200 }))).toBeUndefined();
    const late = await issue(ec, subject, {}, 365 * DAY, T0 + 100);
    const lateVerified = verifyCredential(late, { subject, trustedIssuers: trusted(ec), now: T0 + 200 });
    expect(lateVerified.expiresAt).toBe(T0 + 30 * DAY);
    expect(reason(() => verifyCredential(late, { subject, trustedIssuers: trusted(ec), now: T0 + 31 * DAY }))).toBe('bad-attestation');
  });

  it('refuses to issue with bad attributes, a bad subject or a key the attestation does not name', async () => {
    await expect(issue(ed, subject, { identifier: 'x' })).rejects.toThrow(/reserved/);
    await expect(issue(ed, subject, { '1abc': 'x' })).rejects.toThrow(/not allowed/);
    await expect(issue(ed, subject, { big: 'x'.repeat(1025) })).rejects.toThrow(/longer than 1024/);
    const many = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTES + 1 }, (_, i) => [`a${i}`, 'v']));
    await expect(issue(ed, subject, many)).rejects.toThrow(/more than 64/);
    await expect(issue(ed, 'not-an-identifier', {})).rejects.toThrow(/subject/);
    const stray = await ed.vault.generateSigningKey('p256');
    await expect(issueCredential({ issuer: ed.identity, signingVault: ed.vault, signingKey: stray, attestation: ed.attestation, subject, attributes: {}, ttl: DAY, now: T0 })).rejects.toThrow(/not the attested/);
    await expect(issue(ed, subject, {}, DAY, T0 + 31 * DAY)).rejects.toThrow(/cannot issue/);
  });

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 })])('random bytes are malformed, never a crash', (credential, attestation) => {
    const r = reason(() => verifyCredential({ credential, attestation }, { subject, trustedIssuers: trusted(ed), now: T0 }));
    expect(r).toBe('malformed');
  });
});
