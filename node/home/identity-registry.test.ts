import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Home } from './home.js';
import {
  createIdentityRecord, defaultIdentityName, deleteIdentityRecord, ensureIdentity, identitiesUsingVault, listIdentities,
  loadIdentity, readIdentityFile, rotateIdentityRecord,
} from './identity-registry.js';
import { createNode } from '../client/node-lifecycle.js';
import { setConfiguredNodeIdentity } from './node-security-config.js';
import { addVault, fileVaultDir } from './vault-registry.js';

describe('identity registry', () => {
  let dir: string;
  let home: Home;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-ireg-'));
    home = new Home(join(dir, 'home'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the default identity once, even for concurrent callers, in private files', async () => {
    const all = await Promise.all([ensureIdentity(home), ensureIdentity(home), ensureIdentity(home)]);
    expect(new Set(all.map((r) => r.identifier)).size).toBe(1);
    expect(defaultIdentityName(home)).toBe('default');
    expect(home.readConfig().defaultIdentity).toBe('default');
    const path = join(home.root, 'identities', 'default.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.root, 'identities')).mode & 0o777).toBe(0o700);
    expect(listIdentities(home).map((r) => r.name)).toEqual(['default']);
    // Only the winner's key stays in the vault.
    expect(readdirSync(fileVaultDir(home, 'default')).filter((f) => f.startsWith('signing-'))).toHaveLength(1);
    const { identity } = loadIdentity(home, 'default');
    expect(identity.identifier).toBe(all[0]!.identifier);
    expect(identity.primaryKeyHandle).toEqual(all[0]!.keyHandle);
    expect(readFileSync(path, 'utf8')).not.toMatch(/secret|private/i);
  });

  it('rotates into another vault keeping the identifier, and refuses names and duplicates', async () => {
    const created = await createIdentityRecord(home, 'bank', { keyType: 'p256' });
    addVault(home, 'keys', 'file');
    const rotated = await rotateIdentityRecord(home, 'bank', { vault: 'keys', keyType: 'ed25519' });
    expect(rotated.identifier).toBe(created.identifier);
    expect([rotated.vault, rotated.keyHandle.type]).toEqual(['keys', 'ed25519']);
    const { identity } = loadIdentity(home, 'bank');
    expect(identity.changes).toHaveLength(2);
    expect(identitiesUsingVault(home, 'keys')).toEqual(['bank']);
    await expect(createIdentityRecord(home, 'bank')).rejects.toThrow(/already exists/);
    await expect(createIdentityRecord(home, 'Bad/Name')).rejects.toThrow(/invalid identity name/);
    await expect(createIdentityRecord(home, 'x', { vault: 'ghost' })).rejects.toThrow(/vault 'ghost' does not exist/);
  });

  it('reads public identity files in every documented shape and refuses a tampered one', async () => {
    const record = await createIdentityRecord(home, 'auth');
    const shapes = [record.identity, record, { name: 'auth', identity: { identifier: record.identifier, changeHistory: record.identity.changeHistory } }];
    for (const [i, shape] of shapes.entries()) {
      const file = join(dir, `id${i}.json`);
      writeFileSync(file, JSON.stringify(shape));
      const identity = readIdentityFile(file);
      expect([identity.identifier, identity.primaryKeyHandle]).toEqual([record.identifier, undefined]);
    }
    const hex = record.identity.changeHistory;
    const flipped = `${hex.slice(0, -2)}${hex.endsWith('00') ? '01' : '00'}`;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ identifier: record.identifier, changeHistory: flipped }));
    expect(() => readIdentityFile(join(dir, 'bad.json'))).toThrow();
    writeFileSync(join(dir, 'none.json'), '{"x":1}');
    expect(() => readIdentityFile(join(dir, 'none.json'))).toThrow(/holds no identity/);
  });

  it('deletes an identity and its file-vault key, but not while a node runs as it', async () => {
    const record = await createIdentityRecord(home, 'edge');
    createNode(home, 'n1');
    setConfiguredNodeIdentity(home, 'n1', 'edge');
    await expect(deleteIdentityRecord(home, 'edge')).rejects.toThrow(/used by node 'n1'/);
    setConfiguredNodeIdentity(home, 'n1', 'other');
    const { keyDeleted } = await deleteIdentityRecord(home, 'edge');
    expect(keyDeleted).toBe(true);
    expect(readdirSync(fileVaultDir(home, 'default')).some((f) => f.includes(record.keyHandle.id))).toBe(false);
    expect(() => loadIdentity(home, 'edge')).toThrow(/does not exist/);
  });
});
