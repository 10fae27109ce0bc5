// Test helper: a project node with a real authority identity, credential purpose key,
// SQLite store and the authority services, plus callers with real identities that reach
// the services through a stamped channel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentity } from '../../../core/identity/identity-lifecycle.js';
import type { Identity } from '../../../core/identity/identity.js';
import { PurposeKeys } from '../../../core/identity/purpose-keys.js';
import { Node } from '../../../core/node/node.js';
import { MemoryVault } from '../../../core/vault/memory-vault.js';
import { openSqliteAuthorityStore } from '../../authority-store-sqlite.js';
import type { SqlAuthorityStore } from '../../sql-authority-store.js';
import { AuthorityClient } from '../../client/authority-client.js';
import { createProjectAuthority, type ProjectAuthority, type ProjectAuthorityOptions } from '../project-authority.js';
import { startStampedChannel, type StampedChannel } from './stamped-channel.js';

export interface ProjectFixture {
  node: Node;
  project: ProjectAuthority;
  authorityIdentity: Identity;
  store: SqlAuthorityStore;
  admin: Identity;
  /** The authority identity's purpose keys and the local vault holding them. */
  purposeKeys: PurposeKeys;
  localVault: MemoryVault;
  /** A new identity (not a member). */
  newIdentity(): Promise<Identity>;
  /** A client that calls the services as `identity`. */
  clientFor(identity: Identity, options?: { timeoutMs?: number }): Promise<AuthorityClient>;
  cleanup(): Promise<void>;
}

export async function projectFixture(overrides: Partial<ProjectAuthorityOptions> = {}): Promise<ProjectFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-services-'));
  const store = await openSqliteAuthorityStore(join(dir, 'authority.db'), { clock: overrides.clock });
  const node = new Node({ name: 'project' });
  const vault = new MemoryVault({ name: 'authority-vault' });
  const localVault = new MemoryVault({ name: 'local' });
  const people = new MemoryVault({ name: 'people' });
  const seconds = (): number => Math.floor((overrides.clock ?? Date.now)() / 1000);
  const authorityIdentity = await createIdentity(vault, 'ed25519', { now: seconds() - 60 });
  const purposeKeys = new PurposeKeys({ identity: authorityIdentity, identityVault: vault, secureChannelVault: localVault, credentialVault: localVault, clock: () => seconds() - 60 });
  const newIdentity = (): Promise<Identity> => createIdentity(people, 'ed25519', { now: seconds() - 60 });
  const admin = await newIdentity();
  const channels: StampedChannel[] = [];
  const project = await createProjectAuthority({
    node, identity: authorityIdentity, identityVault: vault, purposeKeys, credentialVault: localVault, store,
    projectName: 'bank', projectRoute: '/ip4/127.0.0.1/tcp/4000', admin: admin.identifier, ...overrides,
  });
  return {
    node, project, authorityIdentity, store, admin, newIdentity, purposeKeys, localVault,
    clientFor: async (identity, options = {}) => {
      const channel = await startStampedChannel(node, identity.identifier, authorityIdentity.identifier);
      channels.push(channel);
      return new AuthorityClient(node, channel.route, { authority: authorityIdentity.identifier, timeoutMs: options.timeoutMs ?? 5000 });
    },
    cleanup: async () => {
      await project.stop();
      for (const c of channels) await c.stop();
      await node.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
