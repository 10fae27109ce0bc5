import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { MemoryVault } from '../vault/memory-vault.js';
import type { KeyHandle, SigningKeyType } from '../vault/keys.js';
import { encodeChangeHistory, verifyChangeHistory } from './change-history.js';
import { changeHash, encodeChangeData, IDENTITY_CHANGE_VERSION, type IdentityChange } from './identity-change.js';
import { IdentityVerificationError } from './identity-error.js';
import { importIdentity } from './identity.js';

const T0 = 1_700_000_000;
const DAY = 86_400;

/** A key in a vault and the change it signed last (what the next rotation must chain to). */
interface Link { readonly vault: MemoryVault; readonly handle: KeyHandle; readonly change: IdentityChange }

/**
 * Builds and signs one change exactly as a well-behaved signer would, but with whatever
 * validity window the test asks for: the new key signs the change hash, and on a rotation
 * the previous key signs it too. Nothing here is tampered after signing.
 */
async function signedChange(window: { createdAt: number; expiresAt: number }, previous?: Link, type: SigningKeyType = 'ed25519'): Promise<Link> {
  const vault = new MemoryVault();
  const handle = await vault.generateSigningKey(type);
  const primaryPublicKey = await vault.signingPublicKey(handle);
  const data = {
    version: IDENTITY_CHANGE_VERSION, primaryPublicKey, ...window,
    ...(previous ? { previousChangeHash: previous.change.hash } : {}),
  };
  const encoded = encodeChangeData(data);
  const hash = changeHash(encoded);
  const signature = (await vault.signDigest(handle, hash)).bytes;
  const previousSignature = previous ? (await previous.vault.signDigest(previous.handle, hash)).bytes : undefined;
  const change: IdentityChange = { data, encoded, hash, signature, ...(previousSignature ? { previousSignature } : {}) };
  return { vault, handle, change };
}

/** Signs a chain of changes with the given windows, each chained to (and co-signed by) the one before. */
async function chain(windows: ReadonlyArray<{ createdAt: number; expiresAt: number }>, type: SigningKeyType = 'ed25519'): Promise<Uint8Array> {
  const links: Link[] = [];
  for (const w of windows) links.push(await signedChange(w, links[links.length - 1], type));
  return encodeChangeHistory(links.map((l) => l.change));
}

function refusal(fn: () => unknown): IdentityVerificationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IdentityVerificationError) return error;
    throw error;
  }
  throw new Error('expected the change history to be refused');
}

describe('change history order (non-monotonic validity)', () => {
  for (const type of ['ed25519', 'p256'] as const) {
    it(`refuses a ${type} rotation created before the change it replaces, as broken-chain at that change`, async () => {
      const bytes = await chain([
        { createdAt: T0, expiresAt: T0 + 30 * DAY },
        { createdAt: T0 - 1, expiresAt: T0 + 30 * DAY },
      ], type);
      const error = refusal(() => importIdentity(bytes, T0 + DAY));
      expect(error).toMatchObject({ reason: 'broken-chain', changeIndex: 1, kind: 'invalid' });
      expect(error.message).toMatch(/identity change 1: created before change 0/);
    });

    it(`refuses a ${type} rotation made after the previous key expired, as expired at that change`, async () => {
      const bytes = await chain([
        { createdAt: T0, expiresAt: T0 + DAY },
        { createdAt: T0 + DAY + 1, expiresAt: T0 + 30 * DAY },
      ], type);
      // The last change is itself valid at `now`: only the order makes the history invalid.
      const error = refusal(() => importIdentity(bytes, T0 + 2 * DAY));
      expect(error).toMatchObject({ reason: 'expired', changeIndex: 1, kind: 'expired' });
      expect(error.message).toMatch(/identity change 1: rotated after change 0 expired/);
    });
  }

  it('accepts the boundaries: a rotation at the same second as the previous change, and at its expiry', async () => {
    const same = await chain([{ createdAt: T0, expiresAt: T0 + DAY }, { createdAt: T0, expiresAt: T0 + DAY }]);
    expect(importIdentity(same, T0 + 1).changes).toHaveLength(2);
    const atExpiry = await chain([{ createdAt: T0, expiresAt: T0 + DAY }, { createdAt: T0 + DAY, expiresAt: T0 + 2 * DAY }]);
    expect(importIdentity(atExpiry, T0 + DAY + 1).changes).toHaveLength(2);
  });

  it('names the offending change deep in a longer history', async () => {
    const goBack = await chain([
      { createdAt: T0, expiresAt: T0 + 10 * DAY },
      { createdAt: T0 + 2 * DAY, expiresAt: T0 + 20 * DAY },
      { createdAt: T0 + DAY, expiresAt: T0 + 30 * DAY },
    ]);
    expect(refusal(() => importIdentity(goBack, T0 + 3 * DAY))).toMatchObject({ reason: 'broken-chain', changeIndex: 2 });
    const late = await chain([
      { createdAt: T0, expiresAt: T0 + 10 * DAY },
      { createdAt: T0 + 2 * DAY, expiresAt: T0 + 5 * DAY },
      { createdAt: T0 + 6 * DAY, expiresAt: T0 + 30 * DAY },
      { createdAt: T0 + 7 * DAY, expiresAt: T0 + 30 * DAY },
    ]);
    expect(refusal(() => importIdentity(late, T0 + 8 * DAY))).toMatchObject({ reason: 'expired', changeIndex: 2 });
  });

  test.prop([fc.integer({ min: -3 * DAY, max: 3 * DAY })], { numRuns: 40 })(
    'accepts a rotation exactly when it falls inside the previous window',
    async (offset) => {
      const createdAt = T0 + offset;
      const bytes = await chain([{ createdAt: T0, expiresAt: T0 + DAY }, { createdAt, expiresAt: createdAt + 10 * DAY }]);
      const now = Math.max(T0, createdAt) + 1;
      if (offset < 0) {
        expect(refusal(() => verifyChangeHistory(bytes, now))).toMatchObject({ reason: 'broken-chain', changeIndex: 1 });
      } else if (offset > DAY) {
        expect(refusal(() => verifyChangeHistory(bytes, now))).toMatchObject({ reason: 'expired', changeIndex: 1 });
      } else {
        expect(verifyChangeHistory(bytes, now)).toHaveLength(2);
      }
    },
  );
});
