import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { secureChannelVaultContract } from '../../core/vault/secure-channel-vault-contract.js';
import { signingVaultContract } from '../../core/vault/signing-vault-contract.js';
import { verifySignature } from '../../core/vault/verify.js';
import { FileVault } from './file-vault.js';

const roots: string[] = [];
function tempFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'symbolon-file-vault-'));
  roots.push(root);
  return join(root, 'vaults', 'v');
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const fixture = (passphrase?: string) => async () => ({
  vault: new FileVault(tempFolder(), passphrase === undefined ? {} : { passphrase }),
  cleanup: async () => undefined,
});
signingVaultContract('file', fixture());
signingVaultContract('file (encrypted)', fixture('correct horse'), { concurrency: 16 });
secureChannelVaultContract('file', fixture());
secureChannelVaultContract('file (encrypted)', fixture('correct horse'));

const digest = new Uint8Array(32).fill(7);
const mode = (path: string): number => statSync(path).mode & 0o777;

describe('FileVault storage', () => {
  it('creates a 0700 folder and 0600 files, leaving no temp files', async () => {
    const dir = tempFolder();
    const vault = new FileVault(dir);
    await vault.generateSigningKey('ed25519');
    await vault.generateX25519Key();
    expect(mode(dir)).toBe(0o700);
    const names = readdirSync(dir);
    expect(names).toHaveLength(2);
    for (const name of names) expect(mode(join(dir, name))).toBe(0o600);
  });

  it('reloads every key after a restart', async () => {
    const dir = tempFolder();
    const first = new FileVault(dir, { passphrase: 'pw' });
    const ed = await first.generateSigningKey('ed25519');
    const ec = await first.generateSigningKey('p256');
    const x = await first.generateX25519Key();
    const peer = await first.generateX25519Key();
    const second = new FileVault(dir, { passphrase: 'pw' });
    for (const handle of [ed, ec]) {
      const publicKey = await second.signingPublicKey(handle);
      expect(publicKey).toEqual(await first.signingPublicKey(handle));
      expect(verifySignature(publicKey, digest, await second.signDigest(handle, digest))).toBe(true);
    }
    expect(second.x25519PublicKey(x)).toEqual(first.x25519PublicKey(x));
    expect(second.x25519Derive(x, first.x25519PublicKey(peer))).toEqual(first.x25519Derive(peer, first.x25519PublicKey(x)));
    expect((await second.listSigningKeys()).map((h) => h.id).sort()).toEqual([ed.id, ec.id].sort());
  });

  it('refuses a folder group or others can access, naming path and mode', () => {
    const dir = tempFolder();
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    expect(() => new FileVault(dir)).toThrow(`vault folder ${dir} has mode 0755`);
  });

  it('refuses a key file with loose permissions, naming path and mode', async () => {
    const dir = tempFolder();
    const handle = await new FileVault(dir).generateSigningKey('p256');
    const path = join(dir, `signing-${handle.id}.json`);
    chmodSync(path, 0o644);
    await expect(new FileVault(dir).signDigest(handle, digest)).rejects.toThrow(`vault key file ${path} has mode 0644`);
  });

  it('refuses a symlinked key file', async () => {
    const dir = tempFolder();
    const x = await new FileVault(dir).generateX25519Key();
    const path = join(dir, `x25519-${x.id}.json`);
    const target = join(dir, '..', 'elsewhere.json');
    writeFileSync(target, readFileSync(path), { mode: 0o600 });
    rmSync(path);
    symlinkSync(target, path);
    expect(() => new FileVault(dir).x25519PublicKey(x)).toThrow(/symbolic link/);
  });

  it('rejects a wrong passphrase, a missing one, and an unexpected plain file', async () => {
    const dir = tempFolder();
    const handle = await new FileVault(dir, { passphrase: 'right' }).generateSigningKey('ed25519');
    const x = await new FileVault(dir, { passphrase: 'right' }).generateX25519Key();
    await expect(new FileVault(dir, { passphrase: 'wrong' }).signDigest(handle, digest)).rejects.toMatchObject({ name: 'UnauthorizedError', message: expect.stringMatching(/wrong passphrase/) });
    expect(() => new FileVault(dir, { passphrase: 'wrong' }).x25519PublicKey(x)).toThrow(/wrong passphrase/);
    await expect(new FileVault(dir).signDigest(handle, digest)).rejects.toMatchObject({ name: 'UnauthorizedError', message: expect.stringMatching(/passphrase is required/) });
    const plain = await new FileVault(dir).generateSigningKey('p256');
    await expect(new FileVault(dir, { passphrase: 'right' }).signDigest(plain, digest)).rejects.toThrow(/not encrypted/);
    expect(() => new FileVault(dir, { passphrase: '' })).toThrow(/must not be empty/);
  });

  it('detects tampered files', async () => {
    const dir = tempFolder();
    const tamper = (id: string, edit: (doc: Record<string, unknown>) => void): void => {
      const path = join(dir, `signing-${id}.json`);
      const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      edit(doc);
      writeFileSync(path, JSON.stringify(doc));
    };
    const flip = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const sealed = await new FileVault(dir, { passphrase: 'pw' }).generateSigningKey('ed25519');
    tamper(sealed.id, (d) => { d.secret = flip(d.secret as string); });
    await expect(new FileVault(dir, { passphrase: 'pw' }).signDigest(sealed, digest)).rejects.toMatchObject({ kind: 'unauthorized' });
    const relabelled = await new FileVault(dir, { passphrase: 'pw' }).generateSigningKey('ed25519');
    tamper(relabelled.id, (d) => { d.type = 'p256'; d.publicKey = `04${'00'.repeat(64)}`; });
    await expect(new FileVault(dir, { passphrase: 'pw' }).signDigest({ ...relabelled, type: 'p256' }, digest)).rejects.toMatchObject({ kind: 'unauthorized' });
    const plain = await new FileVault(dir).generateSigningKey('p256');
    tamper(plain.id, (d) => { d.secret = flip(d.secret as string); });
    await expect(new FileVault(dir).signDigest(plain, digest)).rejects.toThrow(/secret and public key do not match/);
    const moved = await new FileVault(dir).generateSigningKey('p256');
    tamper(moved.id, (d) => { d.id = plain.id; });
    await expect(new FileVault(dir).signDigest(moved, digest)).rejects.toThrow(/id does not match/);
    writeFileSync(join(dir, `signing-${moved.id}.json`), 'not json', { mode: 0o600 });
    await expect(new FileVault(dir).signDigest(moved, digest)).rejects.toThrow(/corrupt: not JSON/);
  });

  it('never turns an unchecked id into a path', async () => {
    const vault = new FileVault(tempFolder());
    await expect(vault.signDigest({ vault: 'file', id: '../../etc/passwd', type: 'ed25519' }, digest)).rejects.toMatchObject({ kind: 'invalid' });
    expect(() => vault.x25519PublicKey({ vault: 'file', id: 'ABCDEF' })).toThrow(/32 lowercase hex/);
    await expect(vault.deleteX25519Key({ vault: 'file', id: '0'.repeat(32) })).rejects.toMatchObject({ kind: 'not-found' });
  });
});
