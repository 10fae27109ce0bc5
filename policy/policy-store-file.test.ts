import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, IoError, NotFoundError } from '../core/errors.js';
import { FilePolicyStore } from './policy-store-file.js';

describe('FilePolicyStore', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symbolon-policies-'));
    path = join(dir, 'policies.json');
  });
  afterEach(async () => {
    await chmod(dir, 0o700).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, lists, gets, replaces and deletes, persisting each change (file 0600)', async () => {
    const store = await FilePolicyStore.open(path, { clock: () => new Date('2026-01-01T00:00:00Z') });
    await store.create({ kind: 'resource-type', type: 'worker' }, 'subject.component == "db"');
    await store.create({ kind: 'resource', name: 'echo' }, 'true');
    await store.create({ kind: 'resource', name: 'echo' }, 'subject.env in ["prod"]');
    expect((await store.list()).map((p) => [p.scope, p.expression])).toEqual([
      [{ kind: 'resource', name: 'echo' }, 'subject.env in ["prod"]'],
      [{ kind: 'resource-type', type: 'worker' }, 'subject.component == "db"'],
    ]);
    expect((await store.get({ kind: 'resource', name: 'echo' })).createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const reopened = await FilePolicyStore.open(path);
    expect(reopened.policyFor({ type: 'worker', name: 'echo' })?.expression).toBe('subject.env in ["prod"]');
    expect(reopened.policyFor({ type: 'worker', name: 'other' })?.expression).toBe('subject.component == "db"');
    expect(reopened.policyFor({ type: 'relay', name: 'r' })).toBeUndefined();

    await reopened.delete({ kind: 'resource', name: 'echo' });
    await expect(reopened.get({ kind: 'resource', name: 'echo' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(reopened.delete({ kind: 'resource', name: 'echo' })).rejects.toBeInstanceOf(NotFoundError);
    expect((await FilePolicyStore.open(path)).policyFor({ type: 'worker', name: 'echo' })?.expression).toBe('subject.component == "db"');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects an invalid expression at create with the caret message and stores nothing', async () => {
    const store = await FilePolicyStore.open(path);
    await expect(store.create({ kind: 'resource', name: 'echo' }, 'subject.component == ')).rejects.toThrow(/invalid policy expression[\s\S]*\^/);
    await expect(store.create({ kind: 'resource', name: '../../etc' }, 'true')).rejects.toBeInstanceOf(InvalidInputError);
    expect(await store.list()).toEqual([]);
    await expect(stat(path)).rejects.toThrow();
  });

  it('serializes concurrent changes', async () => {
    const store = await FilePolicyStore.open(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.create({ kind: 'resource', name: `w${i}` }, `action == "a${i}"`)));
    const text = JSON.parse(await readFile(path, 'utf8')) as { policies: unknown[] };
    expect(text.policies).toHaveLength(20);
  });

  it('keeps memory unchanged when persisting fails', async () => {
    const store = await FilePolicyStore.open(path);
    await store.create({ kind: 'resource', name: 'a' }, 'true');
    await chmod(dir, 0o500);
    const probe = join(dir, 'probe');
    const writable = await writeFile(probe, '').then(() => true, () => false);
    if (writable) return; // running as root: permissions do not stop writes
    await expect(store.create({ kind: 'resource', name: 'b' }, 'true')).rejects.toBeInstanceOf(IoError);
    await expect(store.delete({ kind: 'resource', name: 'a' })).rejects.toBeInstanceOf(IoError);
    expect((await store.list()).map((p) => p.expression)).toEqual(['true']);
    expect(store.policyFor({ type: 'worker', name: 'b' })).toBeUndefined();
  });

  it('loads a stored expression that no longer compiles as a policy that denies', async () => {
    await writeFile(path, JSON.stringify({ version: 1, policies: [{ scope: { kind: 'resource', name: 'echo' }, expression: 'subject.x.matches("(")', createdAt: '2026-01-01T00:00:00Z' }] }), { mode: 0o600 });
    const store = await FilePolicyStore.open(path);
    const policy = store.policyFor({ type: 'worker', name: 'echo' });
    expect(policy?.compiled).toBeUndefined();
    expect(policy?.compileError).toMatch(/invalid regular expression/);
  });

  it('refuses a corrupt file', async () => {
    await writeFile(path, '{not json');
    await expect(FilePolicyStore.open(path)).rejects.toBeInstanceOf(IoError);
    await writeFile(path, '{"version": 9}');
    await expect(FilePolicyStore.open(path)).rejects.toThrow(/unknown format/);
  });

  it('honours an aborted signal', async () => {
    const store = await FilePolicyStore.open(path);
    await expect(store.create({ kind: 'resource', name: 'a' }, 'true', { signal: AbortSignal.abort() })).rejects.toThrow(/aborted/);
  });
});
