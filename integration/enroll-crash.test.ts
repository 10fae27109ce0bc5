import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { alive, assertBuilt, CLI_BIN, cleanupHome, recordedPids, REPO_ROOT, runCli, runCliJson, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

async function ok(home: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await runCliJson(home, args);
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${JSON.stringify(r.json)} ${r.stderr}`);
  return r.json as Record<string, unknown>;
}

/**
 * Runs `project enroll TICKET` in `home` and SIGKILLs the enrolling node the moment the
 * authority's database holds the redemption (a `ticket.redeemed` record newer than
 * `afterSeq`): the node dies after the authority committed, before it could store the
 * membership. Returns the CLI's exit code and stderr, and whether the kill landed first.
 */
async function enrollAndKillNode(home: string, ticket: string, authorityDb: string): Promise<{ code: number; stderr: string }> {
  const db = new Database(authorityDb, { readonly: true, fileMustExist: true });
  const afterSeq = (db.prepare(`SELECT seq FROM audit_head WHERE id = 1`).get() as { seq: number }).seq;
  const redeemed = db.prepare(`SELECT seq FROM audit_records WHERE seq > ? AND type = 'ticket.redeemed' LIMIT 1`);
  const child = spawn(process.execPath, [CLI_BIN, 'project', 'enroll', ticket], { cwd: REPO_ROOT, env: { ...process.env, SYMBOLON_HOME: home, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  // Watch in a tight loop (this blocks the test's event loop, not the processes under test).
  const deadline = Date.now() + 45_000;
  let killed = false;
  while (Date.now() < deadline && !killed) {
    if (redeemed.get(afterSeq) !== undefined) {
      for (const pid of recordedPids(home)) process.kill(pid, 'SIGKILL');
      killed = true;
      break;
    }
    Atomics.wait(pause, 0, 0, 1);
  }
  db.close();
  const code = await exited;
  return { code, stderr };
}

describe('enrollment survives a crash right after the authority commits the redemption', () => {
  const admin = tempHome('sym-admin-');
  const homes: string[] = [];
  let authorityDb = '';

  beforeAll(async () => {
    assertBuilt();
    const port = await freePort();
    await ok(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`]);
    const nodeDir = readdirSync(join(admin, 'nodes')).map((n) => join(admin, 'nodes', n)).find((d) => existsSync(join(d, 'authority.sqlite')));
    if (nodeDir === undefined) throw new Error('no authority database');
    authorityDb = join(nodeDir, 'authority.sqlite');
  }, 60_000);
  afterAll(async () => {
    await Promise.all([admin, ...homes].map((h) => cleanupHome(h)));
  });

  /** A member home whose enrolling node was killed after the redemption committed; retried with fresh tickets until the kill lands first. */
  async function crashedEnrollment(): Promise<{ home: string; ticket: string; stderr: string }> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const home = tempHome('sym-member-');
      homes.push(home);
      const ticket = (await ok(admin, ['project', 'ticket', '--attribute', 'component=db'])).ticket as string;
      const r = await enrollAndKillNode(home, ticket, authorityDb);
      if (r.code !== 0) return { home, ticket, stderr: r.stderr };
    }
    throw new Error('the node answered before it could be killed, four times');
  }

  it('the same identity retrying the same ticket gets the same membership and a credential; another identity gets "already used"', async () => {
    const { home, ticket, stderr } = await crashedEnrollment();
    expect(stderr).toMatch(/may have recorded the enrollment/);
    // No node this command started is left running, and the identity is kept.
    for (const pid of recordedPids(home)) expect(alive(pid)).toBe(false);
    const identity = JSON.parse(readFileSync(join(home, 'identities', 'default.json'), 'utf8')) as { identifier: string };

    const again = await ok(home, ['project', 'enroll', ticket]);
    expect(again).toMatchObject({ project: 'bank', identifier: identity.identifier, role: 'member', attributes: { component: 'db' } });
    expect(Date.parse(String(again.credentialExpiresAt))).toBeGreaterThan(Date.now());
    expect(await ok(home, ['project', 'show'])).toMatchObject({ name: 'bank', hasCredential: true });

    const other = tempHome('sym-other-');
    homes.push(other);
    const refused = await runCli(other, ['project', 'enroll', ticket]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/already been used/);

    const { records } = await ok(admin, ['audit', 'show', '--subject', identity.identifier]) as unknown as { records: Array<{ type: string; fields: Record<string, unknown> }> };
    const redemptions = records.filter((r) => r.type === 'ticket.redeemed');
    expect(redemptions.map((r) => r.fields.retry ?? false)).toEqual([false, true]);
  }, 180_000);

  it('--resume finishes an interrupted enrollment without the ticket', async () => {
    const { home } = await crashedEnrollment();
    const resumed = await ok(home, ['project', 'enroll', '--resume']);
    expect(resumed).toMatchObject({ project: 'bank', role: 'member', resumed: true });
    expect(Date.parse(String(resumed.credentialExpiresAt))).toBeGreaterThan(Date.now());
  }, 180_000);

  it('a refused enrollment leaves no node, identity or project record it created', async () => {
    const used = (await ok(admin, ['project', 'ticket'])).ticket as string;
    const first = tempHome('sym-first-');
    const home = tempHome('sym-refused-');
    homes.push(first, home);
    await ok(first, ['project', 'enroll', used]);
    const refused = await runCli(home, ['project', 'enroll', used]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/already been used/);
    expect(recordedPids(home)).toEqual([]);
    expect(existsSync(join(home, 'nodes')) ? readdirSync(join(home, 'nodes')) : []).toEqual([]);
    expect(existsSync(join(home, 'identities')) ? readdirSync(join(home, 'identities')).filter((f) => f.endsWith('.json')) : []).toEqual([]);
    expect(existsSync(join(home, 'projects')) ? readdirSync(join(home, 'projects')).filter((f) => f.endsWith('.json')) : []).toEqual([]);
  }, 120_000);
});
