import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';

describe('audit proofs through the real CLI: prove on a running project node, verify offline', () => {
  const admin = tempHome('sym-proofs-');

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(admin);
  });

  it('an inclusion proof of an issued credential and a consistency proof verify with only the authority identity; tampered ones fail', async () => {
    const port = await freePort();
    expect((await runCli(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`])).code).toBe(0);
    const authorityFile = join(admin, 'authority.json');
    writeFileSync(authorityFile, (await runCli(admin, ['project', 'show', 'bank', '--identity', '--json'])).stdout);

    const exported = join(admin, 'audit.jsonl');
    expect((await runCli(admin, ['audit', 'export', '--output', exported])).code).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; type?: string; seq: number; version?: number; root?: string });
    const issued = lines.find((l) => l.type === 'credential.issued')!;
    const first = lines.filter((l) => l.kind === 'checkpoint').at(-1)!;
    expect(first).toMatchObject({ version: 2, root: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const proofFile = join(admin, 'credential.proof.json');
    const proved = await runCli(admin, ['audit', 'prove', '--seq', String(issued.seq), '--checkpoint', String(first.seq), '--output', proofFile]);
    expect([proved.code, proved.stderr]).toEqual([0, expect.stringContaining(`proof for record ${issued.seq}`)]);
    const verified = await runCli(admin, ['audit', 'verify-proof', proofFile, '--authority', authorityFile]);
    expect([verified.code, verified.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^OK: record ${issued.seq} \\(credential\\.issued\\) is in the audit log`))]);

    // A changed record, a wrong position, a forged checkpoint: each fails, exit code non-zero.
    const proof = JSON.parse(readFileSync(proofFile, 'utf8')) as { record: { fields: { subject: string } }; leafIndex: number; checkpoint: { head: string } };
    const variants: Array<[string, (p: typeof proof) => void, RegExp]> = [
      ['changed', (p) => { p.record.fields.subject = 'Imallory'; }, /does not match its hash/],
      ['moved', (p) => { p.leafIndex += 1; }, /position/],
      ['forged', (p) => { p.checkpoint.head = 'ab'.repeat(32); }, /not signed by the authority/],
    ];
    for (const [name, change, reason] of variants) {
      const bad = structuredClone(proof);
      change(bad);
      const file = join(admin, `${name}.proof.json`);
      writeFileSync(file, JSON.stringify(bad));
      const r = await runCli(admin, ['audit', 'verify-proof', file, '--authority', authorityFile]);
      expect(r.code, name).not.toBe(0);
      expect(r.stderr, name).toMatch(reason);
    }

    // The log grows; a proof against the new head (signed on request) and a consistency proof with the first checkpoint.
    expect((await runCli(admin, ['project', 'ticket', '--attribute', 'component=db'])).code).toBe(0);
    const latest = await runCli(admin, ['audit', 'prove', '--seq', '1']);
    expect(latest.code).toBe(0);
    const second = (JSON.parse(latest.stdout) as { treeSize: number }).treeSize;
    expect(second).toBeGreaterThan(first.seq);
    const consistencyFile = join(admin, 'consistency.proof.json');
    expect((await runCli(admin, ['audit', 'prove', '--consistency', String(first.seq), String(second), '--output', consistencyFile])).code).toBe(0);
    const consistent = await runCliJson(admin, ['audit', 'verify-proof', consistencyFile, '--authority', authorityFile]);
    expect(consistent).toMatchObject({ code: 0, json: { ok: true, type: 'consistency', first: first.seq, second } });
    const missing = await runCli(admin, ['audit', 'prove', '--consistency', String(first.seq - 1), String(second)]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no checkpoint at record/);
  }, 120_000);
});
