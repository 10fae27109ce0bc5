import { afterEach, describe, expect, it } from 'vitest';
import { createSecureChannel, SecureChannelListener } from '../../core/channel/index.js';
import type { PresentedCredential } from '../../core/credential/credential.js';
import { createIdentity } from '../../core/identity/identity-lifecycle.js';
import { PurposeKeys } from '../../core/identity/purpose-keys.js';
import type { AccessControl } from '../../core/node/access-control.js';
import { Node } from '../../core/node/node.js';
import { local, tcp } from '../../core/routing/address.js';
import { TcpTransport } from '../../core/transport/tcp-transport.js';
import { MemoryVault } from '../../core/vault/memory-vault.js';
import { requireChannelPeer } from '../services/start-authority-services.js';
import { projectFixture, type ProjectFixture } from '../services/testing/project-fixture.js';
import { AuthorityClient } from './authority-client.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('authority services over a real secure channel and TCP', () => {
  it('enrolls a node without a credential, then its pushed credential opens the credential-only service', async () => {
    let authorityId = '';
    const requireCredential: AccessControl = { isAuthorized: ({ message }) => message.origin?.via === 'channel' && message.origin.peer?.authority === authorityId };
    const f: ProjectFixture = await projectFixture({ accessControl: (service) => (service === 'credentials' ? requireCredential : requireChannelPeer) });
    cleanups.push(() => f.cleanup());
    authorityId = f.authorityIdentity.identifier;
    const projectTransport = new TcpTransport(f.node);
    const { address } = await projectTransport.listen('127.0.0.1:0');
    const projectKey = await f.purposeKeys.secureChannelKey();
    await SecureChannelListener.start(f.node, {
      identity: f.authorityIdentity, secureChannelKey: { vault: f.localVault, handle: projectKey.handle, attestation: projectKey.attestation },
      trustedAuthorities: new Map([[authorityId, f.authorityIdentity]]), authorize: () => true, transport: projectTransport, handshakeTimeoutMs: 5000,
    });

    const node = new Node({ name: 'bank' });
    cleanups.push(() => node.stop());
    const transport = new TcpTransport(node);
    const vault = new MemoryVault();
    const identity = await createIdentity(vault, 'ed25519');
    const key = await new PurposeKeys({ identity, identityVault: vault, secureChannelVault: vault }).secureChannelKey();
    let current: PresentedCredential | undefined;
    const channel = await createSecureChannel(node, [tcp(address), local('api')], {
      identity, secureChannelKey: { vault, handle: key.handle, attestation: key.attestation }, credentials: () => current,
      trustedAuthorities: new Map([[authorityId, f.authorityIdentity]]), authorize: (peer) => peer.identifier === authorityId, transport, handshakeTimeoutMs: 5000,
    });
    const client = new AuthorityClient(node, [local(channel.address)], { authority: authorityId, timeoutMs: 3000 });

    await expect(client.fetchCredential({ timeoutMs: 200 })).rejects.toMatchObject({ kind: 'timeout' });
    const ticket = await f.project.authority.createTicket(f.admin.identifier, { attributes: { component: 'db' }, relays: ['postgres'] });
    const enrolled = await client.enroll(ticket.ticket);
    expect(enrolled.member).toMatchObject({ identifier: identity.identifier, attributes: { component: 'db', relay: 'postgres' } });

    current = enrolled.credential!;
    expect(channel.presentCredential()).toBe(true);
    const deadline = Date.now() + 3000;
    let fetched;
    while (fetched === undefined) {
      fetched = await client.fetchCredential({ timeoutMs: 200 }).catch((error: unknown) => {
        if (Date.now() > deadline) throw error;
        return undefined;
      });
    }
    expect(fetched.credentialHash).not.toBe(enrolled.credential!.credentialHash);
    const issued = (await f.store.readAudit({ subject: identity.identifier })).filter((r) => r.type === 'credential.issued');
    expect(issued.map((r) => r.fields.credentialHash)).toEqual([enrolled.credential!.credentialHash, fetched.credentialHash]);
  });
});
