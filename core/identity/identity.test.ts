import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeStrict, encodeDeterministic } from '../cbor.js';
import { SymbolonError } from '../errors.js';
import { MemoryVault } from '../vault/memory-vault.js';
import type { SigningKeyType } from '../vault/keys.js';
import { Identity, importIdentity } from './identity.js';
import { IDENTIFIER_PATTERN } from './identifier.js';
import { encodeChangeData } from './identity-change.js';
import { createIdentity, rotateIdentity } from './identity-lifecycle.js';

const T0 = 1_700_000_000;
const DAY = 86_400;
type Entry = { data: Uint8Array; signature: Uint8Array; previousSignature?: Uint8Array };
const entries = (identity: Identity): Entry[] => decodeStrict<Entry[]>(identity.exportChangeHistory());
const encode = (list: Entry[]): Uint8Array => encodeDeterministic(list);
const flip = (b: Uint8Array): Uint8Array => { const c = Uint8Array.from(b); c[5] = (c[5] ?? 0) ^ 1; return c; };

function failure(fn: () => unknown): { reason?: string; changeIndex?: number; kind?: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { reason?: string; changeIndex?: number; kind?: string; message: string };
  }
  throw new Error('expected a failure');
}

async function rotated(types: [SigningKeyType, SigningKeyType]): Promise<{ first: Identity; second: Identity; a: MemoryVault; b: MemoryVault }> {
  const a = new MemoryVault({ name: 'a' });
  const b = new MemoryVault({ name: 'b' });
  const first = await createIdentity(a, types[0], { now: T0, ttl: 30 * DAY });
  const second = await rotateIdentity(first, a, b, types[1], { now: T0 + DAY, ttl: 30 * DAY });
  return { first, second, a, b };
}

describe('identities', () => {
  for (const type of ['ed25519', 'p256'] as const) {
    it(`creates, exports and imports a ${type} identity`, async () => {
      const vault = new MemoryVault();
      const identity = await createIdentity(vault, type, { now: T0, ttl: DAY });
      expect(identity.identifier).toMatch(IDENTIFIER_PATTERN);
      expect(identity.currentPublicKey.type).toBe(type);
      expect(identity.expiresAt).toBe(T0 + DAY);
      const imported = importIdentity(identity.exportChangeHistory(), T0 + 10);
      expect(imported.identifier).toBe(identity.identifier);
      const exported = identity.exportChangeHistory();
      exported.fill(0);
      expect(identity.exportChangeHistory()).not.toEqual(exported);
      // The same bytes again (decoded from the cache) still get their validity window checked.
      expect(() => importIdentity(identity.exportChangeHistory(), T0 + DAY + 3600)).toThrow(/expired/);
      expect(imported.equals(identity)).toBe(true);
      expect(imported.primaryKeyHandle).toBeUndefined();
      const json = JSON.parse(JSON.stringify(identity)) as ReturnType<Identity['toJSON']>;
      const back = Identity.fromJSON(json, T0 + 10);
      expect(back.equals(identity)).toBe(true);
      expect(back.primaryKeyHandle).toEqual(identity.primaryKeyHandle);
    });
  }

  it('keeps the identifier across rotations, across vaults and key types', async () => {
    const { first, second, b } = await rotated(['ed25519', 'p256']);
    expect(second.identifier).toBe(first.identifier);
    expect(second.currentPublicKey.type).toBe('p256');
    expect(second.primaryKeyHandle?.vault).toBe('b');
    const third = await rotateIdentity(second, b, b, undefined, { now: T0 + 2 * DAY, ttl: DAY });
    expect(third.currentPublicKey.type).toBe('p256');
    const imported = importIdentity(third.exportChangeHistory(), T0 + 2 * DAY + 5, { expectedIdentifier: first.identifier });
    expect(imported.changes).toHaveLength(3);
    expect(imported.identifier).toBe(first.identifier);
  });

  it('names the change and the reason of each tampering', async () => {
    const { second } = await rotated(['p256', 'ed25519']);
    const now = T0 + DAY + 1;
    const list = entries(second);
    const [c0, c1] = list as [Entry, Entry];
    expect(failure(() => importIdentity(encode([c0, { ...c1, signature: flip(c1.signature) }]), now))).toMatchObject({ reason: 'bad-signature', changeIndex: 1 });
    expect(failure(() => importIdentity(encode([c0, { ...c1, previousSignature: flip(c1.previousSignature as Uint8Array) }]), now))).toMatchObject({ reason: 'bad-previous-signature', changeIndex: 1 });
    const { previousSignature: _dropped, ...unsignedByOld } = c1;
    expect(failure(() => importIdentity(encode([c0, unsignedByOld]), now))).toMatchObject({ reason: 'bad-previous-signature', changeIndex: 1 });
    expect(failure(() => importIdentity(encode([{ ...c0, signature: flip(c0.signature) }, c1]), now))).toMatchObject({ reason: 'bad-signature', changeIndex: 0 });
    expect(failure(() => importIdentity(encode([c1]), now))).toMatchObject({ reason: 'broken-chain', changeIndex: 0 });
    const other = await createIdentity(new MemoryVault(), 'p256', { now: T0, ttl: DAY });
    expect(failure(() => importIdentity(encode([entries(other)[0] as Entry, c1]), now))).toMatchObject({ reason: 'broken-chain', changeIndex: 1 });
    const longer = encodeChangeData({ ...second.changes[1]!.data, expiresAt: T0 + 999 * DAY });
    expect(failure(() => importIdentity(encode([c0, { ...c1, data: longer }]), now))).toMatchObject({ reason: 'bad-signature', changeIndex: 1 });
    expect(failure(() => importIdentity(encode([c0, { ...c1, data: flip(c1.data) }]), now))).toMatchObject({ reason: 'malformed', changeIndex: 1 });
    expect(failure(() => Identity.fromJSON({ identifier: other.identifier, changeHistory: Buffer.from(second.exportChangeHistory()).toString('hex') }, now))).toMatchObject({ reason: 'identifier-mismatch' });
    expect(failure(() => importIdentity(second.exportChangeHistory(), now, { expectedIdentifier: other.identifier }))).toMatchObject({ reason: 'identifier-mismatch' });
  });

  it('checks validity windows with 60 s of drift', async () => {
    const identity = await createIdentity(new MemoryVault(), 'ed25519', { now: T0, ttl: DAY });
    const bytes = identity.exportChangeHistory();
    expect(importIdentity(bytes, T0 - 60).identifier).toBe(identity.identifier);
    expect(failure(() => importIdentity(bytes, T0 - 61))).toMatchObject({ reason: 'not-yet-valid', kind: 'expired', changeIndex: 0 });
    expect(importIdentity(bytes, T0 + DAY + 59).identifier).toBe(identity.identifier);
    expect(failure(() => importIdentity(bytes, T0 + DAY + 60))).toMatchObject({ reason: 'expired', kind: 'expired', changeIndex: 0 });
    expect(failure(() => importIdentity(bytes, Date.now()))).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/seconds/) });
  });

  it('refuses to rotate from an expired key and rejects such a history', async () => {
    const vault = new MemoryVault();
    const identity = await createIdentity(vault, 'ed25519', { now: T0, ttl: DAY });
    await expect(rotateIdentity(identity, vault, vault, undefined, { now: T0 + 2 * DAY })).rejects.toThrow(/expired/);
    const late = await rotateIdentity(identity, vault, vault, undefined, { now: T0 + DAY, ttl: DAY });
    expect(importIdentity(late.exportChangeHistory(), T0 + DAY + 1).changes).toHaveLength(2);
  });

  it('catches a primary key handle that is not the identity key', async () => {
    const vault = new MemoryVault();
    const identity = await createIdentity(vault, 'ed25519', { now: T0 });
    const stranger = await vault.generateSigningKey('ed25519');
    await expect(identity.withPrimaryKeyHandle(stranger).sign(vault, new Uint8Array(32))).rejects.toMatchObject({ reason: 'key-mismatch' });
    await expect(importIdentity(identity.exportChangeHistory(), T0).sign(vault, new Uint8Array(32))).rejects.toThrow(/no local primary key/);
  });

  test.prop([fc.uint8Array({ maxLength: 300 })])('rejects random bytes with a project error', (bytes) => {
    expect(failure(() => importIdentity(bytes, T0))).toBeInstanceOf(SymbolonError);
  });
});
