import { describe, expect, it } from 'vitest';
import { secureChannelVaultContract } from '../../core/vault/secure-channel-vault-contract.js';
import { signingVaultContract } from '../../core/vault/signing-vault-contract.js';
import { MemoryVault } from './memory-vault.js';

signingVaultContract('memory', async () => ({ vault: new MemoryVault(), cleanup: async () => undefined }));
secureChannelVaultContract('memory', async () => ({ vault: new MemoryVault(), cleanup: async () => undefined }));

describe('MemoryVault', () => {
  it('refuses handles of another vault and mismatched key types', async () => {
    const a = new MemoryVault({ name: 'a' });
    const b = new MemoryVault({ name: 'b' });
    const handle = await a.generateSigningKey('ed25519');
    await expect(b.signDigest(handle, new Uint8Array(32))).rejects.toMatchObject({ kind: 'not-found' });
    await expect(a.signDigest({ ...handle, type: 'p256' }, new Uint8Array(32))).rejects.toMatchObject({ kind: 'invalid' });
    await expect(a.signDigest({ ...handle, id: '../etc' }, new Uint8Array(32))).rejects.toMatchObject({ kind: 'invalid' });
  });
});
