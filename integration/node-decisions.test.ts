import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';

interface Denials { denials: Array<{ resource: { type: string; name: string }; action: string; reason: string; subject?: string }>; counts: { total: number } }
interface Line { kind: string; type?: string; seq?: number; actor?: string; fields?: Record<string, unknown> }

describe('every node\'s decisions on the record: real node processes', () => {
  const home = tempHome('sym-it-decisions-');

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(home);
  });

  it('denials and policy changes survive a restart, export and verify offline, and an edited line is detected', async () => {
    for (const name of ['a', 'b']) expect((await runCli(home, ['node', 'create', name])).code).toBe(0);
    const send = async (text: string): Promise<number> => (await runCli(home, ['message', 'send', '--from', 'a', '--to', '/node/b/service/echo', '--timeout', '800ms', text])).code;
    // Denied by the default rule (no credential), then by a policy: two records; two more identical denials are counted, not recorded one by one.
    expect(await send('one')).toBe(5);
    expect((await runCli(home, ['policy', 'create', '--at', 'b', '--resource', 'echo', '--expression', 'subject.component == "db"'])).code).toBe(0);
    expect((await runCli(home, ['policy', 'create', '--at', 'b', '--resource', 'echo', '--expression', 'subject.component == "analysis"'])).code).toBe(0);
    for (const text of ['two', 'three', 'four']) expect(await send(text)).toBe(5);

    expect((await runCli(home, ['node', 'stop', 'b'])).code).toBe(0);
    expect((await runCli(home, ['node', 'start', 'b'])).code).toBe(0);

    // After the restart the node's counters start again, but its denials are still on the record.
    const report = (await runCliJson(home, ['policy', 'denials', '--at', 'b'])).json as Denials;
    expect(report.counts.total).toBe(0);
    expect(report.denials.length).toBe(3);
    expect(report.denials[0]!.reason).toMatch(/subject\.component == "analysis".*\[2 more denials like this/);
    expect(report.denials.every((d) => d.resource.name === 'echo' && d.action === 'handle' && d.subject === undefined)).toBe(true);

    const file = join(home, 'b-decisions.jsonl');
    const exported = await runCli(home, ['node', 'audit', 'export', 'b', '--output', file]);
    expect(exported.code).toBe(0);
    const head = /head (\d+:[0-9a-f]{64})/.exec(exported.stderr)?.[1];
    expect(head).toBeDefined();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Line).filter((l) => l.kind === 'record');
    expect(records.map((r) => r.type)).toEqual(['access.denied', 'policy.created', 'policy.replaced', 'access.denied', 'denials.aggregated']);
    expect(records[2]).toMatchObject({ actor: expect.stringMatching(/^local:/), fields: { before: 'subject.component == "db"', after: 'subject.component == "analysis"', scope: { kind: 'resource', name: 'echo' } } });
    expect(records[4]!.fields).toMatchObject({ count: 2 });

    const verified = await runCliJson(home, ['audit', 'verify', file, '--head', head!]);
    expect(verified).toMatchObject({ code: 0, json: { ok: true, node: 'b', records: 5, pinned: true } });

    // An edited line in the export, and in the node's own log file, is named by its record.
    const index = lines.findIndex((l) => l.includes('"policy.replaced"'));
    const tampered = join(home, 'tampered.jsonl');
    writeFileSync(tampered, `${lines.map((l, i) => (i === index ? l.replace('subject.component == \\"db\\"', 'true') : l)).join('\n')}\n`);
    const bad = await runCli(home, ['audit', 'verify', tampered]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/verification failed at record 3 .*does not match its hash/);

    const dir = join(home, 'nodes', 'b', 'decisions');
    const logFile = join(dir, readdirSync(dir).sort()[0]!);
    writeFileSync(logFile, readFileSync(logFile, 'utf8').replace('"action":"handle"', '"action":"send"'));
    const again = join(home, 'again.jsonl');
    expect((await runCli(home, ['node', 'audit', 'export', 'b', '--output', again])).stderr).toMatch(/does not verify at record 1/);
    const failed = await runCli(home, ['audit', 'verify', again, '--head', head!]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/record 1 does not match its hash/);
  }, 120_000);
});
