import { setImmediate as nextTurn } from 'node:timers/promises';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { auditLeafHash, type StoredCheckpoint } from './audit-record.js';
import type { AuthorityStore, StoreCallOptions } from './authority-store.js';
import { SubtreeRecorder } from './audit-subtrees.js';
import { MerkleFrontier } from './merkle-tree.js';

/** Records read from the store per page while hashing the tree. */
const PAGE = 5000;

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/**
 * The Merkle leaves of records `afterSeq + 1` to `upToSeq`, in order, read page by page
 * (memory stays flat whatever the log's size). Between pages it lets the event loop run
 * (the SQLite driver answers synchronously): hashing a large log takes seconds, and the
 * node keeps serving its other connections and channel keep-alives meanwhile. Throws when
 * a record is missing.
 */
export async function* auditLeaves(store: AuthorityStore, afterSeq: number, upToSeq: number, options?: StoreCallOptions): AsyncGenerator<Uint8Array> {
  let after = afterSeq;
  while (after < upToSeq) {
    if (after > afterSeq) await nextTurn();
    const page = await store.readAuditHashes(after, Math.min(PAGE, upToSeq - after), options);
    if (page.length === 0) break;
    for (const entry of page) {
      if (entry.seq !== after + 1) throw new NotFoundError('authority', `audit record ${after + 1} is missing`);
      yield auditLeafHash(entry.hash);
      after = entry.seq;
    }
  }
  if (after < upToSeq) throw new NotFoundError('authority', `audit record ${after + 1} is missing`);
}

/** The stored tree edge of a checkpoint, when it has one. */
function storedFrontier(c: StoredCheckpoint): MerkleFrontier | undefined {
  if (c.root === undefined || c.frontier === undefined) return undefined;
  try {
    const frontier = new MerkleFrontier(c.seq, c.frontier.map(fromHex));
    return toHex(frontier.root()) === c.root ? frontier : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Merkle tree of records 1 to `seq`: continued from the newest stored checkpoint edge
 * at or below `seq` (so a new checkpoint hashes only the records since the last one), or
 * from the first record when there is none (a log whose checkpoints predate tree heads).
 * The heads of the perfect subtrees of 256 records and up that the records hashed here
 * complete are stored (the cache proofs read, see audit-subtrees.ts).
 */
export async function auditTreeAt(store: AuthorityStore, seq: number, checkpoints: readonly StoredCheckpoint[], options?: StoreCallOptions): Promise<MerkleFrontier> {
  let frontier: MerkleFrontier | undefined;
  for (let i = checkpoints.length - 1; i >= 0 && frontier === undefined; i--) {
    const c = checkpoints[i] as StoredCheckpoint;
    if (c.seq <= seq) frontier = storedFrontier(c);
  }
  frontier ??= new MerkleFrontier();
  // The perfect subtrees completed on the way are cached for proofs (audit-subtrees.ts).
  const recorder = new SubtreeRecorder(store, 0, options);
  for await (const leaf of auditLeaves(store, frontier.size, seq, options)) {
    frontier.append(leaf, recorder.onSubtree);
    await recorder.maybeFlush();
  }
  await recorder.flush();
  return frontier;
}

/** The stored frontier as hex, as {@link StoredCheckpoint.frontier} keeps it. */
export function frontierHex(frontier: MerkleFrontier): string[] {
  return frontier.nodes.map(toHex);
}

/** A stored checkpoint with a tree head at `seq`; throws NotFoundError when there is none. */
export function checkpointWithRoot(checkpoints: readonly StoredCheckpoint[], seq: number): StoredCheckpoint {
  const c = checkpoints.find((x) => x.seq === seq);
  if (c === undefined) throw new NotFoundError('authority', `there is no checkpoint at record ${seq}`);
  if (c.root === undefined) throw new InvalidInputError('authority', `the checkpoint at record ${seq} predates Merkle tree heads (version ${c.version}); prove against a later checkpoint`);
  return c;
}
