import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI_BIN, cleanupHome, REPO_ROOT, runCli, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';

interface Line { kind: string; seq: number; hash: string }
const parse = (file: string): Line[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const recordKeys = (lines: Line[]): string[] => lines.filter((l) => l.kind === 'record').map((l) => `${l.seq}:${l.hash}`);

/** A following `audit export` in the background, with its stderr collected. */
class Follower {
  readonly child: ChildProcess;
  stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(home: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [CLI_BIN, 'audit', 'export', '--follow', '--interval', '200ms', '--checkpoint-every', '1s', ...args], {
      cwd: REPO_ROOT, env: { ...process.env, SYMBOLON_HOME: home, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** SIGINT, then the exit code (SIGKILL after 30 s). */
  async stop(): Promise<number | null> {
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    try { return await this.exited; } finally { clearTimeout(timer); }
  }
}

/** Waits (at most 60 s) until `check` holds. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 100) {
    if (waited > 90_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const lastRecord = (file: string): number => {
  try { return parse(file).filter((l) => l.kind === 'record').at(-1)?.seq ?? 0; } catch { return 0; }
};

describe('audit streams through the real CLI', () => {
  const admin = tempHome('sym-audit-stream-');
  const followers: Follower[] = [];
  let authorityFile = '';

  beforeAll(async () => {
    assertBuilt();
    const port = await freePort();
    expect((await runCli(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`])).code).toBe(0);
    authorityFile = join(admin, 'authority.json');
    writeFileSync(authorityFile, (await runCli(admin, ['project', 'show', 'bank', '--identity', '--json'])).stdout);
  }, 60_000);
  afterAll(async () => {
    for (const f of followers) if (f.child.exitCode === null) f.child.kill('SIGKILL');
    await cleanupHome(admin);
  });

  it('--follow across a project node restart writes every record once (compared with a full export), continues its file when restarted, and verifies', async () => {
    const file = join(admin, 'follow.jsonl');
    const follower = new Follower(admin, ['--output', file]);
    followers.push(follower);
    for (let i = 0; i < 3; i++) expect((await runCli(admin, ['project', 'ticket', '--attribute', `n=${i}`])).code).toBe(0);
    const before = (JSON.parse((await runCli(admin, ['audit', 'show', '--json', '--limit', '1000'])).stdout) as { records: Line[] }).records.at(-1)!.seq;
    await until('the records before the restart', () => lastRecord(file) >= before);

    // The project node stops: the follower retries; it comes back and the log grows.
    expect((await runCli(admin, ['node', 'stop', 'bank'])).code).toBe(0);
    await until('a retry', () => /trying again/.test(follower.stderr));
    expect((await runCli(admin, ['node', 'start', 'bank'])).code).toBe(0);
    for (let i = 3; i < 6; i++) expect((await runCli(admin, ['project', 'ticket', '--attribute', `n=${i}`], { timeoutMs: 60_000 })).code).toBe(0);
    expect(await follower.stop()).toBe(0);
    expect(follower.stderr).toMatch(/records of project bank's audit log written to .*, up to record \d+\n$/);

    // Restarted on the same file: it continues after the last record, writing nothing twice.
    expect((await runCli(admin, ['project', 'ticket', '--attribute', 'n=6'])).code).toBe(0);
    const again = new Follower(admin, ['--output', file]);
    followers.push(again);
    const head = (JSON.parse((await runCli(admin, ['audit', 'show', '--json', '--limit', '1000'])).stdout) as { records: Line[] }).records.at(-1)!.seq;
    await until('the record made while no follower ran', () => lastRecord(file) >= head);
    expect(await again.stop()).toBe(0);

    const full = join(admin, 'full.jsonl');
    expect((await runCli(admin, ['audit', 'export', '--output', full])).code).toBe(0);
    const streamed = parse(file);
    const fullRecords = recordKeys(parse(full));
    expect(recordKeys(streamed)).toEqual(fullRecords.slice(0, recordKeys(streamed).length));
    expect(recordKeys(streamed).length).toBeGreaterThanOrEqual(head);
    expect(streamed.filter((l) => l.kind === 'header')).toHaveLength(1);
    const verified = await runCli(admin, ['audit', 'verify', file, '--authority', authorityFile]);
    expect([verified.code, verified.stderr]).toEqual([0, '']);
  }, 110_000);

  it('incremental exports verify as a sequence; a gap fails naming the file', async () => {
    const first = join(admin, 'a1.jsonl');
    expect((await runCli(admin, ['audit', 'export', '--output', first])).code).toBe(0);
    const end = lastRecord(first);
    expect((await runCli(admin, ['project', 'ticket'])).code).toBe(0);
    const second = join(admin, 'a2.jsonl');
    expect((await runCli(admin, ['audit', 'export', '--after-seq', String(end), '--output', second])).code).toBe(0);
    expect(parse(second).filter((l) => l.kind === 'record').map((l) => l.seq)).toEqual([end + 1]);
    expect((await runCli(admin, ['project', 'ticket'])).code).toBe(0);
    const third = join(admin, 'a3.jsonl');
    expect((await runCli(admin, ['audit', 'export', '--after-seq', String(end + 1), '--output', third])).code).toBe(0);

    const ok = await runCli(admin, ['audit', 'verify', first, second, third, '--authority', authorityFile]);
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringMatching(/^OK: \d+ records and \d+ checkpoints verified .* in 3 exports, each continuing the one before/)]);
    const gap = await runCli(admin, ['audit', 'verify', first, third, '--authority', authorityFile]);
    expect(gap.code).not.toBe(0);
    expect(gap.stderr).toMatch(/a3\.jsonl.*a gap/);
    // A report from the live project node: verified, counting the tickets of the log.
    const report = join(admin, 'report.md');
    const made = await runCli(admin, ['audit', 'report', '--since', '1h', '--output', report]);
    expect([made.code, made.stderr]).toEqual([0, expect.stringMatching(/\(log verified\)/)]);
    const full = join(admin, 'full-now.jsonl');
    expect((await runCli(admin, ['audit', 'export', '--output', full])).code).toBe(0);
    const created = parse(full).filter((l) => (l as unknown as { type?: string }).type === 'ticket.created').length;
    expect(readFileSync(report, 'utf8')).toMatch(new RegExp(`\\*\\*Verified\\*\\*[^]*\\| tickets created \\| ${created} \\|`));
    const syslog = await runCli(admin, ['audit', 'export', '--after-seq', String(end), '--format', 'syslog']);
    expect(syslog.stdout.trim().split('\n').map((l) => /^<1(08|10)>1 \S+ bank symbolon - (\S+) /.exec(l)?.[2])).toEqual(['ticket.created', 'ticket.created']);
  }, 60_000);
});
