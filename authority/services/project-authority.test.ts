import { describe, expect, it } from 'vitest';
import { importIdentity } from '../../core/identity/identity.js';
import { Identity } from '../../core/identity/identity.js';
import { nowSeconds } from '../../core/identity/seconds.js';
import { Node } from '../../core/node/node.js';
import { MemoryVault } from '../../core/vault/memory-vault.js';
import { decodeEnrollmentTicket } from '../enrollment-ticket.js';
import { createProjectAuthority } from './project-authority.js';
import { projectFixture } from './testing/project-fixture.js';

describe('createProjectAuthority', () => {
  it('prints tickets that authenticate the authority, signs checkpoints with its primary key, and starts every service', async () => {
    const f = await projectFixture();
    try {
      const { authority } = f.project;
      expect(authority.identifier).toBe(f.authorityIdentity.identifier);
      const created = await authority.createTicket(f.admin.identifier);
      const ticket = decodeEnrollmentTicket(created.ticket);
      expect(ticket).toMatchObject({ projectName: 'bank', projectRoute: '/ip4/127.0.0.1/tcp/4000' });
      expect(importIdentity(ticket.authorityChangeHistory, nowSeconds(), { expectedIdentifier: f.authorityIdentity.identifier }).identifier).toBe(f.authorityIdentity.identifier);
      const checkpoint = await authority.checkpoint();
      expect(checkpoint).toMatchObject({ authority: f.authorityIdentity.identifier, signature: { type: 'ed25519' } });
      for (const address of ['enrollment', 'credentials', 'tickets', 'members', 'audit']) expect(f.node.hasWorker(address)).toBe(true);
      expect((await f.store.readAudit()).filter((r) => r.type === 'member.added')).toMatchObject([{ fields: { subject: f.admin.identifier, role: 'admin' } }]);
      await f.project.stop();
      expect(f.node.hasWorker('enrollment')).toBe(false);
    } finally {
      await f.cleanup();
    }
  });

  it('refuses an identity without a local primary key, and stops services it started when one address is taken', async () => {
    const f = await projectFixture();
    const node = new Node({ name: 'other' });
    try {
      const publicOnly = new Identity(f.authorityIdentity.changes);
      const base = { node, identityVault: new MemoryVault(), purposeKeys: { credentialSigningKey: () => Promise.reject(new Error('unused')) }, credentialVault: new MemoryVault(), store: f.store, projectName: 'p', projectRoute: '/ip4/127.0.0.1/tcp/1' };
      await expect(createProjectAuthority({ ...base, identity: publicOnly })).rejects.toThrow(/no local primary key handle/);
      await node.startWorker('members', { handleMessage: () => undefined });
      await expect(createProjectAuthority({ ...base, identity: f.authorityIdentity })).rejects.toThrow(/already taken/);
      expect(node.workerAddresses()).toEqual(['members']);
    } finally {
      await node.stop();
      await f.cleanup();
    }
  });
});
