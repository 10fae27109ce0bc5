import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePresentedCredential, type PresentedCredential } from '../../core/credential/credential.js';
import { silentLogger } from '../../core/logger.js';
import { createNode } from '../client/node-lifecycle.js';
import { issueAs } from '../home/credential-issuer.js';
import { Home } from '../home/home.js';
import { createIdentityRecord, loadIdentity } from '../home/identity-registry.js';
import { NodeConfigFile } from '../home/node-config.js';
import { recordProject } from '../home/node-projects.js';
import { setConfiguredTrust } from '../home/node-security-config.js';
import { AUTHORITY_SECTION } from '../home/project-node.js';
import { readProject } from '../home/project-registry.js';
import { NodeCredentials } from './node-credentials.js';

describe('NodeCredentials', () => {
  let dir: string;
  let home: Home;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-ncred-'));
    home = new Home(join(dir, 'home'));
    for (const n of ['n1', 'n2', 'pn']) createNode(home, n);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function join_(project: string, node: string, credential?: PresentedCredential): Promise<string> {
    const authority = await createIdentityRecord(home, `${project}-authority`);
    recordProject(home, {
      version: 1, name: project, route: '/ip4/127.0.0.1/tcp/4000', authority: { identifier: authority.identifier, changeHistory: authority.identity.changeHistory },
      authorityIdentifier: authority.identifier, role: 'member', node, createdAt: new Date().toISOString(),
      ...(credential ? { credential: Buffer.from(encodePresentedCredential(credential)).toString('base64') } : {}),
    });
    return authority.identifier;
  }

  it('presents its own project\'s credential and trusts only its project (plus `trust`), never the rest of the home', async () => {
    const self = await createIdentityRecord(home, 'self');
    const identity = loadIdentity(home, 'self').identity;
    const none = new NodeCredentials({ home, node: 'n1', identity, logger: silentLogger });
    expect([none.trustedAuthorities().size, none.trust().projects.length, none.credential()]).toEqual([0, 0, undefined]);
    const bank = await join_('bank', 'n1');
    const other = await join_('other', 'n2');
    const credentials = new NodeCredentials({ home, node: 'n1', identity, logger: silentLogger });
    expect([...credentials.trustedAuthorities().keys()]).toEqual([bank]);
    expect(credentials.trust().projectOf(other)).toBeUndefined();

    const seen: Array<PresentedCredential | undefined> = [];
    credentials.onCredential((c) => seen.push(c));
    const fromBank = await issueAs(home, 'bank-authority', { subject: self.identifier, attributes: { component: 'db' }, ttlMs: 600_000 });
    credentials.accept('bank', fromBank);
    expect(credentials.verifiedCredential()?.attributes).toEqual({ component: 'db' });
    expect(readProject(home, 'bank').credential).toBe(Buffer.from(encodePresentedCredential(fromBank)).toString('base64'));
    // A credential from another project is kept in that project's record, never presented by n1.
    const fromOther = await issueAs(home, 'other-authority', { subject: self.identifier, attributes: { component: 'analysis' }, ttlMs: 600_000 });
    credentials.accept('other', fromOther);
    expect(seen).toEqual([fromBank]);
    expect(credentials.verifiedCredential()?.attributes).toEqual({ component: 'db' });
    expect(readProject(home, 'other').credential).toBeDefined();

    setConfiguredTrust(home, 'n1', ['other']);
    credentials.reload();
    expect(credentials.trust().projects.map((p) => [p.name, p.own])).toEqual([['bank', true], ['other', false]]);
    expect([...credentials.trustedAuthorities().keys()].sort()).toEqual([bank, other].sort());

    const restarted = new NodeCredentials({ home, node: 'n1', identity, logger: silentLogger });
    expect(restarted.verifiedCredential()?.attributes).toEqual({ component: 'db' });
  });

  it('a project node trusts the project it is the authority of', async () => {
    await createIdentityRecord(home, 'bank-authority');
    const identity = loadIdentity(home, 'bank-authority').identity;
    new NodeConfigFile(home, 'pn').setSection(AUTHORITY_SECTION, { project: 'bank', route: '/ip4/127.0.0.1/tcp/4000', admin: 'Iadmin' });
    const credentials = new NodeCredentials({ home, node: 'pn', identity, logger: silentLogger });
    expect(credentials.trust().projects).toEqual([{ name: 'bank', authority: identity.identifier, own: true }]);
  });
});
