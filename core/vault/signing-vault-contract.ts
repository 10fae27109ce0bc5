import { createHash, randomBytes, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SymbolonError } from '../errors.js';
import type { KeyHandle, PublicKey, SigningKeyType } from './keys.js';
import type { SigningVault } from './signing-vault.js';
import { publicKeyObject, verifySignature } from './verify.js';

/** What a contract run needs: a fresh vault and a way to release it. */
export interface SigningVaultFixture {
  readonly vault: SigningVault;
  cleanup(): Promise<void>;
}

/** Options of {@link signingVaultContract}. */
export interface SigningVaultContractOptions {
  /** Key types to exercise; default: the vault's `supportedKeyTypes`. */
  readonly keyTypes?: SigningKeyType[];
  /** Parallel `signDigest` calls in the concurrency test; default 64. */
  readonly concurrency?: number;
}

const ALL_KEY_TYPES: readonly SigningKeyType[] = ['ed25519', 'p256'];

/**
 * The behaviour every {@link SigningVault} must have. Registers a vitest `describe`
 * block named `name`; call it from the vault's own test file. Keys the suite creates
 * are deleted at the end (best effort), then `cleanup` runs.
 */
export function signingVaultContract(
  name: string,
  setup: () => Promise<SigningVaultFixture>,
  options: SigningVaultContractOptions = {},
): void {
  describe(`SigningVault contract: ${name}`, () => {
    let fixture: SigningVaultFixture | undefined;
    const created: KeyHandle[] = [];
    const vault = (): SigningVault => {
      if (!fixture) throw new Error('vault fixture not set up');
      return fixture.vault;
    };
    const generate = async (type: SigningKeyType): Promise<KeyHandle> => {
      const handle = await vault().generateSigningKey(type, { label: `contract-${type}` });
      created.push(handle);
      return handle;
    };

    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      if (!fixture) return;
      for (const handle of created) {
        await fixture.vault.deleteSigningKey(handle).catch(() => undefined);
      }
      await fixture.vault.close?.();
      await fixture.cleanup();
    });

    it('rejects an unknown key type with UnsupportedError', async () => {
      await expectKind(vault().generateSigningKey('rsa2048' as SigningKeyType), 'unsupported');
      for (const type of ALL_KEY_TYPES.filter((t) => !vault().supportedKeyTypes.includes(t))) {
        await expectKind(vault().generateSigningKey(type), 'unsupported');
      }
    });

    const types = options.keyTypes ?? [...ALL_KEY_TYPES];
    for (const type of types) {
      describe(type, () => {
        let handle: KeyHandle;
        let publicKey: PublicKey;
        beforeAll(async () => {
          if (!vault().supportedKeyTypes.includes(type)) throw new Error(`${name} does not list ${type} as supported`);
          handle = await generate(type);
          publicKey = await vault().signingPublicKey(handle);
        });

        it('returns a handle naming the vault and the key type', () => {
          expect(handle.vault).toBe(vault().name);
          expect(handle.type).toBe(type);
          expect(typeof handle.id).toBe('string');
          expect(handle.id.length).toBeGreaterThan(0);
        });

        it('returns a public key of the right shape', () => {
          expect(publicKey.type).toBe(type);
          expect(publicKey.bytes).toBeInstanceOf(Uint8Array);
          if (type === 'ed25519') expect(publicKey.bytes.length).toBe(32);
          else {
            expect(publicKey.bytes.length).toBe(65);
            expect(publicKey.bytes[0]).toBe(0x04);
          }
        });

        it('signs a digest that independent implementations verify', async () => {
          const message = randomBytes(100);
          const digest = sha256(message);
          const signature = await vault().signDigest(handle, digest);
          expect(signature.type).toBe(type);
          expect(signature.bytes.length).toBe(64);
          expect(verifySignature(publicKey, digest, signature)).toBe(true);
          const key = publicKeyObject(publicKey);
          if (type === 'ed25519') {
            expect(nodeVerify(null, digest, key, signature.bytes)).toBe(true);
            expect(ed25519.verify(signature.bytes, digest, publicKey.bytes)).toBe(true);
          } else {
            // ECDSA over a SHA-256 digest equals ECDSA-SHA256 over the message.
            expect(nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature.bytes)).toBe(true);
            expect(p256.verify(signature.bytes, digest, publicKey.bytes, { prehash: false, lowS: false })).toBe(true);
          }
        });

        it('does not verify over a different digest or with another key', async () => {
          const digest = sha256(randomBytes(32));
          const signature = await vault().signDigest(handle, digest);
          const other = Uint8Array.from(digest);
          other[0] = (other[0] ?? 0) ^ 1;
          expect(verifySignature(publicKey, other, signature)).toBe(false);
          const second = await generate(type);
          const secondKey = await vault().signingPublicKey(second);
          expect(verifySignature(secondKey, digest, signature)).toBe(false);
        });

        it('rejects a digest that is not 32 bytes with InvalidInputError', async () => {
          for (const length of [0, 31, 33, 64]) {
            await expectKind(vault().signDigest(handle, new Uint8Array(length)), 'invalid');
          }
        });

        it('lists the handle', async () => {
          const handles = await vault().listSigningKeys();
          expect(handles.some((h) => h.id === handle.id && h.type === type && h.vault === vault().name)).toBe(true);
        });

        it('honours an aborted signal', async () => {
          const controller = new AbortController();
          controller.abort();
          await expectKind(vault().signDigest(handle, sha256(randomBytes(8)), { signal: controller.signal }), 'aborted');
        });

        it(`signs ${options.concurrency ?? 64} digests concurrently`, async () => {
          const digests = Array.from({ length: options.concurrency ?? 64 }, () => sha256(randomBytes(16)));
          const signatures = await Promise.all(digests.map((d) => vault().signDigest(handle, d)));
          signatures.forEach((s, i) => expect(verifySignature(publicKey, digests[i] as Uint8Array, s)).toBe(true));
        });

        it('fails with NotFoundError after the key is deleted', async () => {
          const doomed = await generate(type);
          await vault().deleteSigningKey(doomed);
          await expectKind(vault().signDigest(doomed, sha256(randomBytes(8))), 'not-found');
        });
      });
    }
  });
}

async function expectKind(promise: Promise<unknown>, kind: SymbolonError['kind']): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a ${kind} error`).toBeInstanceOf(SymbolonError);
  expect((error as SymbolonError).kind).toBe(kind);
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}
