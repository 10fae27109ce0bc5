import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, existsSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditRecordHash, AUDIT_FORMAT_VERSION } from '../authority/audit-record.js';
import { assertBuilt, cleanupHome, recordedPids, runCli, runCliJson, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';
import { peakRss, runCliMeasured } from './support/process-memory.js';

/**
 * Records inserted straight into the authority's database before the export: 250,000 by
 * default (six times the size at which a one-message export failed; about 80 MB of JSONL),
 * SYMBOLON_TEST_AUDIT_RECORDS=1000000 for the full-size run (minutes on a loaded machine:
 * the first export page also builds the Merkle tree over every inserted record).
 */
const RECORDS = Number(process.env.SYMBOLON_TEST_AUDIT_RECORDS ?? 250_000);
/**
 * Peak RSS the nodes and the exporting CLI may reach (the export alone is ~80 MB of JSONL).
 * Measured at 250,000 records on a loaded 2-core machine: nodes 134-151 MB (87 MB idle),
 * export CLI 128-150 MB.
 */
const MEMORY_BOUND = 200 * 1024 * 1024;
/** The same for `audit verify`, which checks the file line by line (measured 154-189 MB). */
const VERIFY_MEMORY_BOUND = 240 * 1024 * 1024;

/** Appends `count` chained `access.refused` records to the authority database at `path`, in one transaction. */
function appendRecords(path: string, count: number): void {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare(`INSERT INTO audit_records (seq, time, type, actor, subject, fields, prev_hash, hash, version) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)`);
    db.transaction(() => {
      const head = db.prepare(`SELECT seq, hash FROM audit_head WHERE id = 1`).get() as { seq: number; hash: string };
      let prevHash = head.hash;
      const actor = `I${'5'.repeat(64)}`;
      const fields = { action: 'member.list', reason: 'not a member' };
      const fieldsText = JSON.stringify(fields);
      const now = Date.now();
      for (let i = 1; i <= count; i++) {
        const seq = head.seq + i;
        const record = { version: AUDIT_FORMAT_VERSION, seq, time: now, type: 'access.refused' as const, actor, fields, prevHash };
        const hash = auditRecordHash(record);
        insert.run(seq, now, record.type, actor, fieldsText, prevHash, hash, AUDIT_FORMAT_VERSION);
        prevHash = hash;
      }
      db.prepare(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`).run(head.seq + count, prevHash);
    })();
  } finally {
    db.close();
  }
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const _ of createInterface({ input: createReadStream(file) })) n++;
  return n;
}

describe('audit export and show page through any size of log in bounded memory', () => {
  const admin = tempHome('sym-audit-');
  let nodePids: number[] = [];
  const nodePeaks = new Map<number, number>();
  const sampleNode = (pid: number, rss: number): void => { nodePeaks.set(pid, Math.max(nodePeaks.get(pid) ?? 0, rss)); };

  beforeAll(async () => {
    assertBuilt();
    const port = await freePort();
    const created = await runCliJson(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`]);
    expect(created.code).toBe(0);
    const nodeDir = readdirSync(join(admin, 'nodes')).map((n) => join(admin, 'nodes', n)).find((d) => existsSync(join(d, 'authority.sqlite')));
    if (nodeDir === undefined) throw new Error('no project node with an authority database');
    appendRecords(join(nodeDir, 'authority.sqlite'), RECORDS);
    nodePids = recordedPids(admin);
    expect(nodePids.length).toBeGreaterThan(0);
  }, 180_000);
  afterAll(async () => {
    await cleanupHome(admin);
  });

  it(`exports ${RECORDS} records that verify, with the nodes and the exporting CLI under ${MEMORY_BOUND / 2 ** 20} MB`, async () => {
    const file = join(admin, 'audit.jsonl');
    const exported = await runCliMeasured(admin, ['audit', 'export', '--output', file], join(admin, 'export.out'), { timeoutMs: 600_000, watch: nodePids, onSample: sampleNode });
    expect(exported.stderr).not.toMatch(/Error/);
    expect(exported.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.partial`)).toBe(false);

    const authorityFile = join(admin, 'authority.json');
    writeFileSync(authorityFile, (await runCli(admin, ['project', 'show', 'bank', '--identity', '--json'])).stdout);
    const verified = await runCliMeasured(admin, ['audit', 'verify', file, '--authority', authorityFile, '--json'], join(admin, 'verify.json'), { timeoutMs: 600_000 });
    expect(verified.code).toBe(0);
    const summary = JSON.parse((await import('node:fs')).readFileSync(join(admin, 'verify.json'), 'utf8')) as { ok: boolean; records: number };
    expect(summary.ok).toBe(true);
    expect(summary.records).toBeGreaterThan(RECORDS);

    for (const pid of nodePids) sampleNode(pid, peakRss(pid));
    const peaks = { exportCli: exported.peakRss, verifyCli: verified.peakRss, nodes: [...nodePeaks.values()] };
    console.log(`audit export of ${summary.records} records: ${exported.elapsedMs} ms, verify ${verified.elapsedMs} ms, peak RSS (MB)`,
      JSON.stringify({ exportCli: peaks.exportCli >> 20, verifyCli: peaks.verifyCli >> 20, nodes: peaks.nodes.map((p) => p >> 20) }));
    expect(peaks.exportCli).toBeGreaterThan(0);
    expect(peaks.exportCli).toBeLessThan(MEMORY_BOUND);
    expect(peaks.verifyCli).toBeLessThan(VERIFY_MEMORY_BOUND);
    for (const peak of peaks.nodes) expect(peak).toBeLessThan(MEMORY_BOUND);
  }, 1_300_000);

  it('shows 20,000 records page by page (20 pages), as a table and as JSON', async () => {
    const table = join(admin, 'show.txt');
    const shown = await runCliMeasured(admin, ['audit', 'show', '--limit', '20000'], table, { timeoutMs: 120_000 });
    expect(shown.code).toBe(0);
    expect(await countLines(table)).toBe(20_001);
    expect(shown.peakRss).toBeLessThan(MEMORY_BOUND);

    const json = join(admin, 'show.json');
    const asJson = await runCliMeasured(admin, ['audit', 'show', '--limit', '2500', '--json'], json, { timeoutMs: 120_000 });
    expect(asJson.code).toBe(0);
    const parsed = JSON.parse((await import('node:fs')).readFileSync(json, 'utf8')) as { project: string; records: Array<{ seq: number }> };
    expect(parsed.project).toBe('bank');
    expect(parsed.records.map((r) => r.seq)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
  }, 180_000);
});
