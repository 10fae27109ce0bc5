// The authority's audit log: records appended per second with Merkle checkpoints on (each an
// audited ticket creation through the Authority, a checkpoint signed every 1000 changes), and
// the cost of proofs on a large log: a log of BENCH_AUDIT_RECORDS records (default 1,000,000)
// is written straight into a temporary SQLite store (chained and hashed as the store does,
// without the network), then the first checkpoint over it (the whole Merkle tree), an
// inclusion proof and a consistency proof are timed and verified. Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { SoftwareSigningKey } from '../core/vault/software-signing-key.js';
import { Authority } from '../authority/authority.js';
import { openSqliteAuthorityStore } from '../authority/authority-store-sqlite.js';
import { AUDIT_FORMAT_VERSION, auditRecordHash } from '../authority/audit-record.js';
import { verifyAuditProof } from '../authority/audit-proof.js';

/** Result of {@link benchAudit}. */
export interface AuditBench {
  /** Audited changes (ticket creations) per second through the Authority, checkpoints on. */
  readonly recordsPerSecond: number;
  readonly records: number;
  readonly checkpointsSigned: number;
  readonly seconds: number;
  readonly proofs: {
    readonly logRecords: number;
    /** Writing the log straight into SQLite (setup, not a product figure). */
    readonly buildSeconds: number;
    /** The first checkpoint over the whole log: hashes its Merkle tree once. */
    readonly firstCheckpointSeconds: number;
    /** An inclusion proof of a record in the middle against the head's checkpoint. */
    readonly inclusionSeconds: number;
    /** A consistency proof between the checkpoint at half the log and the head's. */
    readonly consistencySeconds: number;
    readonly inclusionPathLength: number;
    readonly consistencyPathLength: number;
    readonly verified: boolean;
  };
}

function newAuthority(store: Awaited<ReturnType<typeof openSqliteAuthorityStore>>, key: SoftwareSigningKey): Authority {
  return new Authority({
    store, identifier: 'Iauthority',
    project: { name: 'bench', route: '/ip4/127.0.0.1/tcp/4000', authorityChangeHistory: new Uint8Array([1]) },
    signCredential: async () => { throw new Error('not used'); },
    signDigest: async (digest) => key.signDigest(digest),
    checkpointEvery: 1000,
  });
}

/** Appends `count` chained `access.refused` records to the store at `path`, in transactions of 100,000. */
function appendRecords(path: string, count: number): void {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare(`INSERT INTO audit_records (seq, time, type, actor, subject, fields, prev_hash, hash, version) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)`);
    const actor = `I${'5'.repeat(32)}`;
    const fields = { action: 'member.list', reason: 'not a member' };
    const fieldsText = JSON.stringify(fields);
    for (let done = 0; done < count;) {
      const batch = Math.min(100_000, count - done);
      db.transaction(() => {
        const head = db.prepare(`SELECT seq, hash FROM audit_head WHERE id = 1`).get() as { seq: number; hash: string };
        let prevHash = head.hash;
        const now = Date.now();
        for (let i = 1; i <= batch; i++) {
          const seq = head.seq + i;
          const record = { version: AUDIT_FORMAT_VERSION, seq, time: now, type: 'access.refused' as const, actor, fields, prevHash };
          const hash = auditRecordHash(record);
          insert.run(seq, now, record.type, actor, fieldsText, prevHash, hash, AUDIT_FORMAT_VERSION);
          prevHash = hash;
        }
        db.prepare(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`).run(head.seq + batch, prevHash);
      })();
      done += batch;
    }
  } finally {
    db.close();
  }
}

const seconds = (t: number): number => Number(((performance.now() - t) / 1000).toFixed(3));

/** Runs both measurements; `durationMs` bounds the append loop, `logRecords` sizes the proof log. */
export async function benchAudit({ durationMs = 2000, maxRecords = 50_000, concurrency = 16, logRecords = 1_000_000 } = {}): Promise<AuditBench> {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-bench-audit-'));
  const key = SoftwareSigningKey.generate('ed25519');
  try {
    // 1. Records per second through the Authority, checkpoints every 1000 changes.
    const store = await openSqliteAuthorityStore(join(dir, 'append.db'));
    let records = 0;
    let checkpointsSigned = 0;
    let elapsed = 0;
    try {
      const authority = newAuthority(store, key);
      await authority.bootstrap('Iadmin');
      const start = performance.now();
      const deadline = start + durationMs;
      const lane = async (): Promise<void> => {
        while (performance.now() < deadline && records < maxRecords) {
          await authority.createTicket('Iadmin', { attributes: { component: 'db' } });
          records++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
      await authority.checkpoint();
      elapsed = (performance.now() - start) / 1000;
      checkpointsSigned = (await store.checkpoints()).length;
    } finally {
      await store.close();
    }

    // 2. Proofs on a log of `logRecords` records.
    const path = join(dir, 'proofs.db');
    const proofStore = await openSqliteAuthorityStore(path);
    try {
      const authority = newAuthority(proofStore, key);
      await authority.bootstrap('Iadmin');
      const half = Math.floor(logRecords / 2);
      let t = performance.now();
      appendRecords(path, half);
      const buildFirst = seconds(t);
      const middle = await authority.checkpoint();
      t = performance.now();
      appendRecords(path, logRecords - half);
      const buildSeconds = Number((buildFirst + seconds(t)).toFixed(3));
      t = performance.now();
      const head = await authority.checkpoint();
      const firstCheckpointSeconds = seconds(t);
      if (middle === undefined || head === undefined) throw new Error('no checkpoint');
      t = performance.now();
      const inclusion = await authority.proveInclusion('Iadmin', Math.max(1, Math.floor(head.seq / 3)), head.seq);
      const inclusionSeconds = seconds(t);
      t = performance.now();
      const consistency = await authority.proveConsistency('Iadmin', middle.seq, head.seq);
      const consistencySeconds = seconds(t);
      const verified = verifyAuditProof(JSON.parse(JSON.stringify(inclusion)), [key.publicKey]).ok && verifyAuditProof(JSON.parse(JSON.stringify(consistency)), [key.publicKey]).ok;
      return {
        recordsPerSecond: Math.round(records / elapsed), records, checkpointsSigned, seconds: Number(elapsed.toFixed(3)),
        proofs: {
          logRecords: head.seq, buildSeconds, firstCheckpointSeconds, inclusionSeconds, consistencySeconds,
          inclusionPathLength: inclusion.path.length, consistencyPathLength: consistency.path.length, verified,
        },
      };
    } finally {
      await proofStore.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const logRecords = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
  process.stdout.write(`${JSON.stringify(await benchAudit({ logRecords }))}\n`);
}
