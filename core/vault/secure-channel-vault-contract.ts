import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SymbolonError } from '../errors.js';
import type { SecureChannelVault } from './secure-channel-vault.js';

/** What a contract run needs: a fresh vault and a way to release it. */
export interface SecureChannelVaultFixture {
  readonly vault: SecureChannelVault;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every {@link SecureChannelVault} must have. Registers a vitest
 * `describe` block named `name`; call it from the vault's own test file.
 */
export function secureChannelVaultContract(name: string, setup: () => Promise<SecureChannelVaultFixture>): void {
  describe(`SecureChannelVault contract: ${name}`, () => {
    let fixture: SecureChannelVaultFixture | undefined;
    const vault = (): SecureChannelVault => {
      if (!fixture) throw new Error('vault fixture not set up');
      return fixture.vault;
    };
    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    it('generates keys with 32-byte public keys, listed under the vault name', async () => {
      const handle = await vault().generateX25519Key();
      expect(handle.vault).toBe(vault().name);
      expect(vault().x25519PublicKey(handle).length).toBe(32);
      const handles = await vault().listX25519Keys();
      expect(handles.some((h) => h.id === handle.id)).toBe(true);
    });

    it('agrees with an independent X25519 implementation, both ways', async () => {
      const a = await vault().generateX25519Key();
      const b = await vault().generateX25519Key();
      const ab = vault().x25519Derive(a, vault().x25519PublicKey(b));
      expect(ab).toEqual(vault().x25519Derive(b, vault().x25519PublicKey(a)));
      const peer = generateKeyPairSync('x25519');
      const peerPublic = new Uint8Array(createPublicKey(peer.privateKey).export({ format: 'der', type: 'spki' }).subarray(12));
      const ours = vault().x25519Derive(a, peerPublic);
      const ourPublic = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), vault().x25519PublicKey(a)]);
      const theirs = diffieHellman({ privateKey: peer.privateKey, publicKey: createPublicKey({ key: ourPublic, format: 'der', type: 'spki' }) });
      expect(ours).toEqual(new Uint8Array(theirs));
      const nobleSecret = x25519.utils.randomSecretKey();
      expect(vault().x25519Derive(a, x25519.getPublicKey(nobleSecret))).toEqual(x25519.getSharedSecret(nobleSecret, vault().x25519PublicKey(a)));
    });

    it('rejects low-order peer keys and wrong lengths', async () => {
      const a = await vault().generateX25519Key();
      expect(() => vault().x25519Derive(a, new Uint8Array(32))).toThrow(SymbolonError);
      const one = new Uint8Array(32);
      one[0] = 1;
      expect(() => vault().x25519Derive(a, one)).toThrow(SymbolonError);
      expect(() => vault().x25519Derive(a, new Uint8Array(31))).toThrow(SymbolonError);
    });

    it('forgets deleted keys', async () => {
      const a = await vault().generateX25519Key();
      await vault().deleteX25519Key(a);
      expect(() => vault().x25519PublicKey(a)).toThrow(expect.objectContaining({ kind: 'not-found' }));
      expect((await vault().listX25519Keys()).some((h) => h.id === a.id)).toBe(false);
    });
  });
}
