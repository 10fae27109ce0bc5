import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, CLI_BIN, cleanupHome, REPO_ROOT, runCli, tempHome, type CliResult } from './support/cli.js';

/** Root ignores folder permissions: run the CLI as `nobody` then. */
const asUser = typeof process.getuid === 'function' && process.getuid() === 0 ? { uid: 65534, gid: 65534 } : undefined;

function runAs(home: string, args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BIN, ...args], {
      cwd: REPO_ROOT, timeout: 30_000, ...(asUser ?? {}),
      // oclif keeps its own data under HOME: give it a writable one.
      env: { ...process.env, SYMBOLON_HOME: home, HOME: join(home, '..', 'user'), XDG_DATA_HOME: join(home, '..', 'user'), XDG_CACHE_HOME: join(home, '..', 'user'), NODE_ENV: 'production' },
    }, (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }));
  });
}

describe('I/O failures exit as I/O errors (exit code 5) with a clear message', () => {
  const root = tempHome('sym-ro-');
  const readOnly = join(root, 'ro');
  const home = join(readOnly, 'home');
  const user = join(root, 'user');

  beforeAll(() => {
    assertBuilt();
    chmodSync(root, 0o755);
    mkdirSync(user, { mode: 0o700 });
    mkdirSync(readOnly, { mode: 0o755 });
    if (asUser) { chownSync(user, asUser.uid, asUser.gid); }
  });
  afterAll(async () => {
    chmodSync(readOnly, 0o755);
    await cleanupHome(home);
    rmSync(root, { recursive: true, force: true });
  });

  it('node create in a read-only folder', async () => {
    chmodSync(readOnly, 0o555);
    for (const args of [['node', 'create', 'x'], ['node', 'create', 'x', '--foreground'], ['vault', 'create', 'v', '--type', 'file'], ['identity', 'create', 'i']]) {
      const r = await runAs(home, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toMatch(/^Error: .*(permission denied|EACCES)/m);
      expect(r.stderr).not.toMatch(/unexpected error/);
      const json = await runAs(home, [...args, '--json']);
      if (!args.includes('--foreground')) expect(JSON.parse(json.stdout)).toMatchObject({ error: { kind: 'io' } });
    }
  });

  it('node start of an existing node whose home became read-only', async () => {
    chmodSync(readOnly, 0o755);
    mkdirSync(home, { recursive: true });
    if (asUser) chownSync(home, asUser.uid, asUser.gid);
    const created = await runAs(home, ['node', 'create', 'y']);
    expect(created.code, created.stderr).toBe(0);
    expect((await runAs(home, ['node', 'stop', 'y'])).code).toBe(0);
    chmodSync(join(home, 'nodes', 'y'), 0o555);
    try {
      const r = await runAs(home, ['node', 'start', 'y']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).not.toMatch(/unexpected error/);
    } finally {
      chmodSync(join(home, 'nodes', 'y'), 0o700);
    }
    await runCli(home, ['node', 'delete', '--all']);
  });
});
