import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdentity } from '../../../core/identity/identity-lifecycle.js';
import { MemoryVault } from '../../../core/vault/memory-vault.js';
import { authorityFixture } from '../../../authority/testing/authority-fixture.js';
import { runCommand } from '../../testing/run-command.js';
import AuditVerify from './verify.js';

describe('audit verify (in-process)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sym-verify-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('fails on an export without records or checkpoints, warns loudly with --allow-no-checkpoint, and enforces --min-seq', async () => {
    const vault = new MemoryVault();
    const identity = await createIdentity(vault, 'ed25519');
    const f = await authorityFixture({ identifier: identity.identifier, signDigest: (d) => identity.sign(vault, d), publicKey: identity.currentPublicKey });
    try {
      await f.authority.createTicket('Iadmin');
      const lines = await f.authority.exportAudit();
      const authority = join(dir, 'authority.json');
      writeFileSync(authority, JSON.stringify(identity.toJSON()));
      const file = (name: string, content: string[]): string => { const p = join(dir, name); writeFileSync(p, `${content.join('\n')}\n`); return p; };
      const full = file('full.jsonl', lines);
      const headerOnly = file('header.jsonl', [lines[0]!]);
      const unsigned = file('unsigned.jsonl', lines.filter((l) => !l.includes('"kind":"checkpoint"')));

      const ok = await runCommand(AuditVerify, [full, '--authority', authority, '--min-seq', '2', '--json']);
      expect(ok.code).toBe(0);
      expect(ok.json()).toMatchObject({ ok: true, records: 2, warnings: [] });

      const short = await runCommand(AuditVerify, [full, '--authority', authority, '--min-seq', '3']);
      expect(short.code).not.toBe(0);
      expect(short.stderr).toMatch(/verification failed at record 3 .*ends at record 2, but at least record 3 is required/);

      const empty = await runCommand(AuditVerify, [headerOnly, '--authority', authority]);
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/no records/);

      const noCheckpoint = await runCommand(AuditVerify, [unsigned, '--authority', authority]);
      expect(noCheckpoint.code).not.toBe(0);
      expect(noCheckpoint.stderr).toMatch(/no signed checkpoint/);

      const allowed = await runCommand(AuditVerify, [unsigned, '--authority', authority, '--allow-no-checkpoint']);
      expect(allowed.code).toBe(0);
      expect(allowed.stderr).toMatch(/^WARNING: the export has no signed checkpoint: records 1 to 2 are only hash-chained/m);
      expect(allowed.stdout).toMatch(/OK: 2 records and 0 checkpoints/);
    } finally { await f.cleanup(); }
  });
});
