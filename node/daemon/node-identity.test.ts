import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNode } from '../client/node-lifecycle.js';
import { Home } from '../home/home.js';
import { createIdentityRecord, readIdentityRecord } from '../home/identity-registry.js';
import { setConfiguredNodeIdentity } from '../home/node-security-config.js';
import { NodeIdentity } from './node-identity.js';

describe('NodeIdentity', () => {
  let dir: string;
  let home: Home;
  const opened: NodeIdentity[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-nid-'));
    home = new Home(join(dir, 'home'));
    createNode(home, 'n1');
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<NodeIdentity> {
    const identity = await NodeIdentity.open({ home, node: 'n1' });
    opened.push(identity);
    return identity;
  }

  it('runs as the home default identity (created on first start) and reuses its purpose keys after a restart', async () => {
    const first = await open();
    expect(first.name).toBe('default');
    expect(first.identifier).toBe(readIdentityRecord(home, 'default').identifier);
    const key = await first.secureChannelKey();
    expect(key.attestation.length).toBeGreaterThan(0);
    const stored = join(home.node('n1').dir, 'purpose-keys.json');
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect(readFileSync(stored, 'utf8')).toContain(first.identifier);
    const second = await open();
    expect(Buffer.from((await second.secureChannelKey()).publicKey)).toEqual(Buffer.from(key.publicKey));
    const signing = await second.credentialSigningKey();
    expect(signing.attestation.length).toBeGreaterThan(0);
  });

  it('runs as the identity named in the node config', async () => {
    const bank = await createIdentityRecord(home, 'bank', { keyType: 'p256' });
    setConfiguredNodeIdentity(home, 'n1', 'bank');
    const identity = await open();
    expect([identity.name, identity.identifier, identity.keyHandle.type]).toEqual(['bank', bank.identifier, 'p256']);
  });
});
