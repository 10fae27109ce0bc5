import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, cleanupHome, REPO_ROOT, runCli, runCliJson, tempHome } from './support/cli.js';

/** Writers of each kind started at the same moment. */
const WRITERS = 8;

async function allOk(runs: Array<Promise<{ code: number; stdout: string; stderr: string }>>): Promise<void> {
  for (const r of await Promise.all(runs)) expect(r.code, r.stderr).toBe(0);
}

async function listNames(home: string, args: string[], key: string, field = 'name'): Promise<string[]> {
  const r = await runCliJson(home, args);
  expect(r.code).toBe(0);
  return ((r.json as Record<string, Array<Record<string, unknown>>>)[key] ?? []).map((x) => String(x[field])).sort();
}

describe('home files are updated under a lock: concurrent writers lose nothing', () => {
  const home = tempHome('sym-lock-');
  const names = Array.from({ length: WRITERS }, (_, i) => `w${i}`);

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(home);
  });

  it(`${WRITERS} concurrent vault create keep every vault`, async () => {
    await allOk(names.map((n) => runCli(home, ['vault', 'create', `v-${n}`, '--type', 'file'], { timeoutMs: 90_000 })));
    expect((await listNames(home, ['vault', 'list'], 'vaults')).filter((n) => n.startsWith('v-'))).toEqual(names.map((n) => `v-${n}`));
  }, 120_000);

  it(`${WRITERS} concurrent identity create keep every identity`, async () => {
    await allOk(names.map((n) => runCli(home, ['identity', 'create', `id-${n}`], { timeoutMs: 90_000 })));
    expect((await listNames(home, ['identity', 'list'], 'identities')).filter((n) => n.startsWith('id-'))).toEqual(names.map((n) => `id-${n}`));
  }, 120_000);

  it(`${WRITERS} concurrent identity rotate of one identity, while identities are created, keep every change`, async () => {
    expect((await runCli(home, ['identity', 'create', 'rot'])).code).toBe(0);
    await allOk([
      ...names.map(() => runCli(home, ['identity', 'rotate', 'rot'], { timeoutMs: 90_000 })),
      ...names.slice(0, 4).map((n) => runCli(home, ['identity', 'create', `more-${n}`], { timeoutMs: 90_000 })),
    ]);
    // `identity show` verifies the whole change history: each rotation signed by the key before it.
    const shown = await runCliJson(home, ['identity', 'show', 'rot']);
    expect(shown.code, shown.stderr).toBe(0);
    expect((shown.json as { changes: unknown[] }).changes).toHaveLength(1 + WRITERS);
    expect((await listNames(home, ['identity', 'list'], 'identities')).filter((n) => n.startsWith('more-'))).toEqual(names.slice(0, 4).map((n) => `more-${n}`));
  }, 120_000);

  it(`${WRITERS} concurrent policy and tcp-outlet creations on two nodes keep every entry, also after a restart`, async () => {
    await allOk([runCli(home, ['node', 'create', 'a']), runCli(home, ['node', 'create', 'b'])]);
    // Per node: 8 policy and 8 outlet writers at once (the nodes one after the other, so a
    // loaded machine is not asked to start 32 CLI processes in the same instant).
    for (const node of ['a', 'b']) {
      await allOk(names.flatMap((n) => [
        runCli(home, ['policy', 'create', '--at', node, '--resource', `r-${n}`, '--expression', 'subject.component == "x"'], { timeoutMs: 90_000 }),
        runCli(home, ['tcp-outlet', 'create', '--at', node, '--from', `out-${n}`, '--to', '127.0.0.1:9'], { timeoutMs: 90_000 }),
      ]));
    }
    const check = async (): Promise<void> => {
      for (const node of ['a', 'b']) {
        expect((await listNames(home, ['policy', 'list', '--at', node], 'policies', 'label')).filter((l) => l.includes('r-w'))).toEqual(names.map((n) => `resource r-${n}`));
        expect((await listNames(home, ['tcp-outlet', 'list', '--at', node], 'outlets', 'address')).filter((a) => a.includes('out-'))).toEqual(names.map((n) => `out-${n}`));
      }
    };
    await check();
    for (const node of ['a', 'b']) {
      expect((await runCli(home, ['node', 'stop', node])).code).toBe(0);
      expect((await runCli(home, ['node', 'start', node])).code).toBe(0);
    }
    await check();
  }, 240_000);

  it(`${WRITERS} processes updating the home config and a running node's config at once lose no update`, async () => {
    const rounds = 25;
    const script = join(home, 'writer.mjs');
    const dist = (p: string): string => JSON.stringify(join(REPO_ROOT, 'dist', p));
    writeFileSync(script, `
      import { Home } from ${dist('node/home/home.js')};
      import { NodeConfigFile } from ${dist('node/home/node-config.js')};
      const home = new Home(process.env.SYMBOLON_HOME);
      const node = new NodeConfigFile(home, 'a');
      const [id, rounds] = [process.argv[2], Number(process.argv[3])];
      for (let i = 0; i < rounds; i++) {
        home.updateConfig((c) => ({ ...c, counter: (c.counter ?? 0) + 1, ['w' + id]: i + 1 }));
        node.updateSection('counter', (s) => (s ?? 0) + 1);
      }
    `);
    const codes = Promise.all(names.map((_, i) => new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [script, String(i), String(rounds)], { env: { ...process.env, SYMBOLON_HOME: home }, stdio: ['ignore', 'ignore', 'inherit'] });
      child.once('exit', (code) => resolve(code ?? 1));
    })));
    // Meanwhile the node 'a' rewrites its own config for each new outlet.
    const outlets = names.map((n) => runCli(home, ['tcp-outlet', 'create', '--at', 'a', '--from', `extra-${n}`, '--to', '127.0.0.1:9'], { timeoutMs: 90_000 }));
    expect(await codes).toEqual(names.map(() => 0));
    await allOk(outlets);
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.counter).toBe(WRITERS * rounds);
    for (let i = 0; i < WRITERS; i++) expect(config[`w${i}`]).toBe(rounds);
    const nodeConfig = JSON.parse(readFileSync(join(home, 'nodes', 'a', 'config.json'), 'utf8')) as { sections: Record<string, unknown> };
    expect(nodeConfig.sections.counter).toBe(WRITERS * rounds);
    // The running node 'a' kept its own sections (written while the writers ran).
    expect((nodeConfig.sections['tcp-outlets'] as { outlets: unknown[] } | undefined)?.outlets.length).toBe(2 * WRITERS);
    expect(readdirSync(home).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }, 120_000);
});
