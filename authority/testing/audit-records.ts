// Test helper: a large audit log written straight into an authority's SQLite file.
import Database from 'better-sqlite3';
import { AUDIT_FORMAT_VERSION, auditRecordHash } from '../audit-record.js';

/** Appends `count` chained records straight into the authority's SQLite file (as a large log would have them). */
export function appendAuditRecords(path: string, count: number): void {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare(`INSERT INTO audit_records (seq, time, type, actor, subject, fields, prev_hash, hash, version) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)`);
    db.transaction(() => {
      const head = db.prepare(`SELECT seq, hash FROM audit_head WHERE id = 1`).get() as { seq: number; hash: string };
      let prevHash = head.hash;
      const fields = { action: 'member.list', reason: 'not a member' };
      for (let i = 1; i <= count; i++) {
        const seq = head.seq + i;
        const record = { version: AUDIT_FORMAT_VERSION, seq, time: 1_700_000_000_000 + seq, type: 'access.refused' as const, actor: `I${seq}`, fields, prevHash };
        const hash = auditRecordHash(record);
        insert.run(seq, record.time, record.type, record.actor, JSON.stringify(fields), prevHash, hash, AUDIT_FORMAT_VERSION);
        prevHash = hash;
      }
      db.prepare(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`).run(head.seq + count, prevHash);
    })();
  } finally {
    db.close();
  }
}

