import { describe, expect, it } from 'vitest';
import { auditLeafHash } from './audit-record.js';
import { auditTreeAt } from './audit-tree.js';
import { rootOf } from './merkle-tree.js';
import { appendAuditRecords } from './testing/audit-records.js';
import { authorityFixture } from './testing/authority-fixture.js';

describe('auditTreeAt', () => {
  it('hashes a large log page by page, letting the event loop run between pages', async () => {
    const f = await authorityFixture();
    try {
      appendAuditRecords(f.dbPath, 12_000);
      const head = await f.store.auditHead();
      let turns = 0;
      let counting = true;
      const count = (): void => {
        turns++;
        if (counting) setImmediate(count);
      };
      setImmediate(count);
      // No stored tree edge: every record is hashed (3 pages of 5000).
      const tree = await auditTreeAt(f.store, head.seq, []);
      counting = false;
      expect(turns).toBeGreaterThanOrEqual(2);
      const leaves: Uint8Array[] = [];
      for (let after = 0; after < head.seq; after += 5000) leaves.push(...(await f.store.readAudit({ afterSeq: after, limit: 5000 })).map((r) => auditLeafHash(r.hash)));
      expect(Buffer.from(tree.root()).toString('hex')).toBe(Buffer.from(rootOf(leaves)).toString('hex'));
    } finally {
      await f.cleanup();
    }
  });
});
