import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNode } from '../client/node-lifecycle.js';
import { issueAs } from './credential-issuer.js';
import { Home } from './home.js';
import { createIdentityRecord, loadIdentity } from './identity-registry.js';
import { setConfiguredTrust } from './node-security-config.js';
import { assertProjectHasNoOtherNode, forgetProject, nodeTrust, projectsOfNode, recordCredential, recordMembership, recordProject, recordServedRoutes } from './node-projects.js';
import { projectCredential, readProject, type ProjectRecord } from './project-registry.js';

describe('node projects', () => {
  let dir: string;
  let home: Home;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-nproj-'));
    home = new Home(join(dir, 'home'));
    for (const n of ['n1', 'n2', 'n3']) createNode(home, n);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function project(name: string, extra: Partial<ProjectRecord> = {}): Promise<ProjectRecord> {
    const a = await createIdentityRecord(home, `${name}-authority`);
    return {
      version: 1, name, route: '/ip4/127.0.0.1/tcp/4000', authority: { identifier: a.identifier, changeHistory: a.identity.changeHistory },
      authorityIdentifier: a.identifier, createdAt: new Date().toISOString(), ...extra,
    };
  }

  it('served replica routes replace the known ones: a new replica is added, a removed one drops out, another address stays first', async () => {
    const [a, b, c, d] = [4000, 4001, 4002, 4003].map((p) => `/ip4/127.0.0.1/tcp/${p}`) as [string, string, string, string];
    recordProject(home, await project('bank', { route: a, routes: [a, b], node: 'n1' }));
    expect(recordServedRoutes(home, 'bank', [b, a, c])).toMatchObject({ route: a, routes: [a, b, c] });
    // A is gone: the answering replica takes its place as the first to try.
    expect(recordServedRoutes(home, 'bank', [c, b])).toMatchObject({ route: c, routes: [c, b] });
    const single = recordServedRoutes(home, 'bank', [c]);
    expect(single.route).toBe(c);
    expect(single.routes).toBeUndefined();
    expect(readProject(home, 'bank').route).toBe(c);
    // A member that reaches the project at another address (not a replica route) keeps it first.
    recordProject(home, await project('other', { route: d, node: 'n2' }));
    expect(recordServedRoutes(home, 'other', [a])).toMatchObject({ route: d, routes: [d, a] });
    expect(recordServedRoutes(home, 'other', [])).toMatchObject({ route: d, routes: [d, a] });
    // A member over WebSocket keeps to it: no TCP replica routes are added.
    const ws = '/dns/proxy.example/tcp/443/wss/path/bank';
    recordProject(home, await project('proxied', { route: ws, wsRoute: ws, node: 'n3' }));
    const proxied = recordServedRoutes(home, 'proxied', [a, b]);
    expect(proxied.route).toBe(ws);
    expect(proxied.routes).toBeUndefined();
  });

  it('a node belongs to one project: a second one is refused, the same one again is fine', async () => {
    recordProject(home, await project('bank', { role: 'member', node: 'n1' }));
    const other = await project('other', { role: 'member', node: 'n1' });
    expect(() => recordProject(home, other)).toThrow(/node 'n1' already belongs to project 'bank'.*--node/);
    recordProject(home, { ...other, node: 'n2' });
    expect(() => recordMembership(home, 'other', 'member', 'n1')).toThrow(/already belongs to project 'bank'/);
    recordMembership(home, 'bank', 'admin', 'n1');
    expect(projectsOfNode(home, 'n1').map((p) => [p.name, p.role])).toEqual([['bank', 'admin']]);
    forgetProject(home, 'bank');
    recordMembership(home, 'other', 'member', 'n1');
    expect(projectsOfNode(home, 'n1').map((p) => p.name)).toEqual(['other']);
  });

  it('a home keeps one member node per project: a second node is refused while the first exists', async () => {
    const bank = recordProject(home, await project('bank', { node: 'n1' }));
    expect(() => assertProjectHasNoOtherNode(home, bank, 'n2')).toThrow(/node 'n1' is already the member of project 'bank'.*one member node per project.*SYMBOLON_HOME/);
    expect(() => assertProjectHasNoOtherNode(home, bank, 'n1')).not.toThrow();
    expect(() => assertProjectHasNoOtherNode(home, undefined, 'n2')).not.toThrow();
    // A record naming a node that no longer exists may be taken over.
    expect(() => assertProjectHasNoOtherNode(home, { ...bank, node: 'gone' }, 'n2')).not.toThrow();
    expect(projectsOfNode(home, 'n1').map((p) => p.name)).toEqual(['bank']);
  });

  it('trusts its own project only, plus the projects its `trust` setting names (not own)', async () => {
    const bank = recordProject(home, await project('bank', { node: 'n1' }));
    const other = recordProject(home, await project('other', { node: 'n2' }));
    const trust = nodeTrust(home, 'n1');
    expect([...trust.authorities.keys()]).toEqual([bank.authorityIdentifier]);
    expect(trust.scope.projects).toEqual([{ name: 'bank', authority: bank.authorityIdentifier, own: true }]);
    expect(trust.scope.projectOf(other.authorityIdentifier)).toBeUndefined();
    expect(nodeTrust(home, 'n3').scope.projects).toEqual([]);

    setConfiguredTrust(home, 'n1', ['other', 'gone']);
    expect(() => setConfiguredTrust(home, 'n1', ['../x'])).toThrow(/invalid project name/);
    const wider = nodeTrust(home, 'n1');
    expect(wider.scope.projects.map((p) => [p.name, p.own])).toEqual([['bank', true], ['other', false]]);
    expect(wider.scope.isOwn(other.authorityIdentifier)).toBe(false);
    expect([...wider.authorities.keys()]).toEqual([bank.authorityIdentifier, other.authorityIdentifier]);
    expect(wider.missing).toEqual(['gone']);
    setConfiguredTrust(home, 'n1', []);
    expect(nodeTrust(home, 'n1').scope.projects).toHaveLength(1);
  });

  it('a project node trusts the project it is the authority of', async () => {
    const self = await createIdentityRecord(home, 'self');
    const trust = nodeTrust(home, 'n3', { project: 'bank', authority: loadIdentity(home, 'self').identity });
    expect(trust.scope.projects).toEqual([{ name: 'bank', authority: self.identifier, own: true }]);
    expect(trust.authorities.get(self.identifier)?.identifier).toBe(self.identifier);
  });

  it('keeps the latest credential in the project record, and removes it', async () => {
    const bank = recordProject(home, await project('bank', { node: 'n1' }));
    const credential = await issueAs(home, 'bank-authority', { subject: bank.authorityIdentifier, attributes: { component: 'db' }, ttlMs: 600_000 });
    recordCredential(home, 'bank', credential);
    expect(Buffer.from(projectCredential(readProject(home, 'bank'))!.credential)).toEqual(Buffer.from(credential.credential));
    expect(statSync(join(home.root, 'projects', 'bank.json')).mode & 0o777).toBe(0o600);
    recordCredential(home, 'bank', undefined);
    expect(readProject(home, 'bank').credential).toBeUndefined();
  });

  it('is the only writer of project files in the product', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const writers: string[] = [];
    const walk = (d: string): void => {
      for (const name of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, name.name);
        if (name.isDirectory()) {
          if (name.name !== 'node_modules' && name.name !== 'dist' && name.name !== 'testing' && !name.name.startsWith('.')) walk(p);
        } else if (/\.ts$/.test(name.name) && !/\.test\.ts$/.test(name.name)) {
          if (/\b(writeProject|deleteProject)\(/.test(readFileSync(p, 'utf8'))) writers.push(relative(root, p));
        }
      }
    };
    for (const layer of ['cli', 'node', 'authority', 'policy', 'core', 'vaults']) walk(join(root, layer));
    expect(writers.sort()).toEqual(['node/home/node-projects.ts', 'node/home/project-registry.ts']);
  });
});
