import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Home } from './home.js';
import { createIdentityRecord } from './identity-registry.js';
import {
  defaultProjectName, deleteProject, listProjects, projectOfNode, readProject, setDefaultProject, writeProject,
  type ProjectRecord,
} from './project-registry.js';

describe('project registry', () => {
  let dir: string;
  let home: Home;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-preg-'));
    home = new Home(join(dir, 'home'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function project(name: string, authority: string, extra: Partial<ProjectRecord> = {}): Promise<ProjectRecord> {
    const a = await createIdentityRecord(home, authority);
    return {
      version: 1, name, route: '/ip4/127.0.0.1/tcp/4000', authority: { identifier: a.identifier, changeHistory: a.identity.changeHistory },
      authorityIdentifier: a.identifier, createdAt: new Date().toISOString(), ...extra,
    };
  }

  it('stores projects privately and makes the first the default', async () => {
    writeProject(home, await project('bank', 'auth1', { role: 'member', node: 'n1' }));
    writeProject(home, await project('shop', 'auth2', { role: 'admin' }));
    expect(statSync(join(home.root, 'projects', 'bank.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.root, 'projects')).mode & 0o777).toBe(0o700);
    expect(listProjects(home).map((p) => p.name)).toEqual(['bank', 'shop']);
    expect(defaultProjectName(home)).toBe('bank');
    setDefaultProject(home, 'shop');
    expect(defaultProjectName(home)).toBe('shop');
    expect(projectOfNode(home, 'n1')?.name).toBe('bank');
    expect(projectOfNode(home, 'n2')).toBeUndefined();
    deleteProject(home, 'shop');
    expect(defaultProjectName(home)).toBe('bank');
    expect(() => readProject(home, 'shop')).toThrow(/does not exist/);
  });

  it('refuses bad names, roles and an authority that does not match its identifier', async () => {
    const good = await project('bank', 'auth1');
    expect(() => writeProject(home, { ...good, name: '../x' })).toThrow(/invalid project name/);
    expect(() => writeProject(home, { ...good, role: 'owner' as 'admin' })).toThrow(/role/);
    expect(() => writeProject(home, { ...good, authorityIdentifier: 'I00000000000000000000000000000000' })).toThrow(/does not match/);
    const other = await createIdentityRecord(home, 'other');
    expect(() => writeProject(home, { ...good, authority: { identifier: good.authorityIdentifier, changeHistory: other.identity.changeHistory } })).toThrow();
    expect(listProjects(home)).toEqual([]);
  });
});
