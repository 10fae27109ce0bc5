import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteAuthorityStore } from './authority-store-sqlite.js';
import { describeAuthorityStore } from './authority-store-contract.js';
import { generateTicketCode, ticketCodeHash } from './ticket-code.js';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./testing/redeem-worker.ts', import.meta.url));

describeAuthorityStore('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-authority-'));
  const store = await openSqliteAuthorityStore(join(dir, 'home', 'authority.db'));
  // One store per file per process (better-sqlite3 waits for locks synchronously): the
  // cross-process race is tested below with child processes.
  return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});

describe('sqlite authority store file', () => {
  it('is created with mode 0600 in a 0700 directory, in WAL mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'symbolon-authority-'));
    try {
      const path = join(dir, 'home', 'authority.db');
      const store = await openSqliteAuthorityStore(path);
      await store.withTransaction((tx) => tx.recordRefusal('access.refused', 'Ix', { action: 'x', reason: 'y' }));
      await store.close();
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'home')).mode & 0o777).toBe(0o700);
      const again = await openSqliteAuthorityStore(path);
      expect((await again.auditHead()).seq).toBe(1);
      await again.close();
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('sqlite authority store across processes', () => {
  it('lets exactly one of 50 redemptions from 5 processes succeed, with one redeemed record (refusals are audited by the Authority)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'symbolon-authority-'));
    try {
      const path = join(dir, 'authority.db');
      const store = await openSqliteAuthorityStore(path);
      const hash = ticketCodeHash(generateTicketCode());
      await store.withTransaction((tx) => tx.createTicket({ hash, attributes: {}, usageCount: 1, usesLeft: 1, expiresAt: Date.now() + 60_000, relays: [], enroller: false, createdBy: 'Ia', createdAt: Date.now() }));
      const startAt = String(Date.now() + 1500);
      const outputs = await Promise.all(Array.from({ length: 5 }, (_, p) =>
        run(process.execPath, ['--import', 'tsx', worker, path, hash, String(p), '10', startAt], { timeout: 20_000 })));
      const results = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
      expect(results).toHaveLength(50);
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'used-up')).toHaveLength(49);
      const log = await store.readAudit();
      expect(log.filter((r) => r.type === 'ticket.redeemed')).toHaveLength(1);
      expect(log.map((r) => r.seq)).toEqual([1, 2]);
      await store.close();
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
