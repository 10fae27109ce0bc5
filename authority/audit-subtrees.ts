import type { AuditSubtree } from './audit-record.js';
import { auditLeaves } from './audit-tree.js';
import type { AuthorityStore, StoreCallOptions } from './authority-store.js';
import { MerkleFrontier, nodeHash, rootOf, splitPoint, type LeafRange } from './merkle-tree.js';

/**
 * The smallest subtree the store caches: 2^8 = 256 records. Smaller ones are hashed from
 * their records, which a proof reads in at most a few blocks of 256.
 */
export const CACHED_SUBTREE_MIN_LEVEL = 8;
const BLOCK = 2 ** CACHED_SUBTREE_MIN_LEVEL;
/** Subtree heads collected before they are written (one write per this many). */
const SAVE_BATCH = 512;

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const key = (level: number, index: number): string => `${level}:${index}`;

/**
 * Collects the perfect subtrees of {@link CACHED_SUBTREE_MIN_LEVEL} and up that a
 * {@link MerkleFrontier} completes while leaves are appended (pass {@link onSubtree} to
 * `append`), and writes them to the store in batches. `offset` is the leaf index of the
 * frontier's first leaf when it hashes a part of the log (a multiple of the part's size).
 */
export class SubtreeRecorder {
  private readonly pending: AuditSubtree[] = [];

  constructor(
    private readonly store: AuthorityStore,
    private readonly offset = 0,
    private readonly options?: StoreCallOptions,
  ) {}

  /** For `MerkleFrontier.append`. */
  readonly onSubtree = (level: number, index: number, hash: Uint8Array): void => {
    if (level < CACHED_SUBTREE_MIN_LEVEL) return;
    this.pending.push({ level, index: this.offset / 2 ** level + index, hash: toHex(hash) });
  };

  /** Writes a batch once enough are collected. */
  async maybeFlush(): Promise<void> {
    if (this.pending.length >= SAVE_BATCH) await this.flush();
  }

  /** Writes what is collected. */
  async flush(): Promise<void> {
    if (this.pending.length > 0) await this.store.saveAuditSubtrees(this.pending.splice(0), this.options);
  }
}

/** How a range's tree head is made: one perfect subtree, or RFC 9162's split of the range. */
type Shape = { readonly level: number; readonly index: number } | { readonly left: Shape; readonly right: Shape };

/** The shape of MTH over leaves `[start, start + n)` (n >= 1): perfect aligned parts as they are, the rest split at k. */
function shapeOf(start: number, n: number, out: Array<{ level: number; index: number }>): Shape {
  const level = Math.log2(n);
  if (Number.isInteger(level) && start % n === 0) {
    const leaf = { level, index: start / n };
    out.push(leaf);
    return leaf;
  }
  const k = splitPoint(n);
  return { left: shapeOf(start, k, out), right: shapeOf(start + k, n - k, out) };
}

function evaluate(shape: Shape, heads: ReadonlyMap<string, Uint8Array>): Uint8Array {
  if ('left' in shape) return nodeHash(evaluate(shape.left, heads), evaluate(shape.right, heads));
  return heads.get(key(shape.level, shape.index)) as Uint8Array;
}

/** What {@link cachedRangeRoots} did. */
export interface RangeRootsResult {
  /** The tree head of each range, in the order given. */
  readonly roots: Uint8Array[];
  /** Subtree heads taken from the store's cache. */
  readonly cached: number;
  /** Subtree heads of 256 records and up hashed from their records (and then cached). */
  readonly hashed: number;
}

/**
 * The tree heads of `ranges` (disjoint leaf ranges of the log, as inclusionRanges and
 * consistencyRanges give them) from the cached subtree heads: each range is its perfect
 * aligned parts, RFC 9162's split joining them. Parts of 256 records and up come from
 * the store's cache in one query (those missing are hashed from their records and cached);
 * smaller parts are hashed from their records, read in blocks of 256. A proof thus costs
 * O(log n) rows, not the whole log. With `refresh`, every cached part is hashed again from
 * its records and the cache is rewritten (after a cached head turned out wrong).
 *
 * Cached heads are not trusted: callers check what they build against a signed tree head.
 */
export async function cachedRangeRoots(store: AuthorityStore, ranges: readonly LeafRange[], options?: StoreCallOptions & { readonly refresh?: boolean }): Promise<RangeRootsResult> {
  const parts: Array<{ level: number; index: number }> = [];
  const shapes = ranges.map(([start, end]) => shapeOf(start, end - start, parts));
  const heads = new Map<string, Uint8Array>();
  const large = parts.filter((p) => p.level >= CACHED_SUBTREE_MIN_LEVEL);
  let cached = 0;
  let hashed = 0;
  if (large.length > 0 && options?.refresh !== true) {
    for (const t of await store.auditSubtrees(large, options)) {
      if (/^[0-9a-f]{64}$/.test(t.hash)) heads.set(key(t.level, t.index), fromHex(t.hash));
    }
    cached = large.filter((p) => heads.has(key(p.level, p.index))).length;
  }
  for (const p of large) {
    if (heads.has(key(p.level, p.index))) continue;
    const start = p.index * 2 ** p.level;
    const recorder = new SubtreeRecorder(store, start, options);
    const tree = new MerkleFrontier();
    for await (const leaf of auditLeaves(store, start, start + 2 ** p.level, options)) {
      tree.append(leaf, recorder.onSubtree);
      await recorder.maybeFlush();
    }
    await recorder.flush();
    heads.set(key(p.level, p.index), tree.root());
    hashed++;
  }
  // Small parts lie inside one block of 256 records each: read each block once.
  const blocks = new Map<number, Array<{ level: number; index: number }>>();
  for (const p of parts) {
    if (p.level >= CACHED_SUBTREE_MIN_LEVEL) continue;
    const block = Math.floor((p.index * 2 ** p.level) / BLOCK);
    const list = blocks.get(block) ?? [];
    list.push(p);
    blocks.set(block, list);
  }
  for (const [block, list] of blocks) {
    const blockStart = block * BLOCK;
    const blockEnd = Math.max(...list.map((p) => (p.index + 1) * 2 ** p.level));
    const leaves: Uint8Array[] = [];
    for await (const leaf of auditLeaves(store, blockStart, blockEnd, options)) leaves.push(leaf);
    for (const p of list) {
      const from = p.index * 2 ** p.level - blockStart;
      heads.set(key(p.level, p.index), rootOf(leaves.slice(from, from + 2 ** p.level)));
    }
  }
  return { roots: shapes.map((s) => evaluate(s, heads)), cached, hashed };
}
