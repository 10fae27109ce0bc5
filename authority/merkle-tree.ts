import { createHash } from 'node:crypto';

/**
 * Merkle trees of RFC 9162 (Certificate Transparency 2.0) section 2.1, as RFC 6962
 * defined them: MTH({}) = SHA-256(), a leaf is SHA-256(0x00 || d), an interior node
 * SHA-256(0x01 || left || right), and a list of n > 1 leaves splits at k, the largest
 * power of two smaller than n. Hashes are 32-byte arrays; tree sizes and indexes are
 * safe integers (no 32-bit bit operations).
 */

/** Length of every hash in a tree. */
export const MERKLE_HASH_LENGTH = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH of the empty list: SHA-256 of nothing. */
export const EMPTY_TREE_ROOT: Uint8Array = new Uint8Array(createHash('sha256').digest());

/** A half-open range `[start, end)` of leaf indexes. */
export type LeafRange = readonly [start: number, end: number];

/** SHA-256(0x00 || data): the hash of one leaf. */
export function leafHash(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(LEAF_PREFIX).update(data).digest());
}

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest());
}

/** k of RFC 9162 2.1.1: the largest power of two smaller than `n` (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/** MTH(D[n]) by the RFC's recursion, over leaf hashes (a reference for tests and small trees). */
export function rootOf(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_TREE_ROOT;
  if (leaves.length === 1) return leaves[0] as Uint8Array;
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/**
 * The right edge of a tree built leaf by leaf: one root per perfect subtree of the binary
 * decomposition of its size (largest first), so appending is O(log n) and the tree head is
 * their fold from the right. Restorable from {@link nodes} and {@link size}.
 */
export class MerkleFrontier {
  private readonly stack: Uint8Array[];
  private count: number;

  /** An empty frontier, or one restored from a stored size and its nodes. */
  constructor(size = 0, nodes: readonly Uint8Array[] = []) {
    let expected = 0;
    for (let s = size; s > 0; s = half(s)) if (isOdd(s)) expected++;
    if (!Number.isSafeInteger(size) || size < 0 || nodes.length !== expected || nodes.some((n) => n.length !== MERKLE_HASH_LENGTH)) {
      throw new RangeError(`a Merkle frontier of size ${size} has ${expected} nodes of ${MERKLE_HASH_LENGTH} bytes`);
    }
    this.count = size;
    this.stack = [...nodes];
  }

  /** Leaves appended so far. */
  get size(): number {
    return this.count;
  }

  /** The perfect subtree roots, largest (leftmost) first. */
  get nodes(): readonly Uint8Array[] {
    return this.stack;
  }

  /**
   * Appends one leaf hash. `onSubtree`, when given, is told every perfect subtree the leaf
   * completes above the leaf itself: its `level` (2^level leaves), its `index` (it covers
   * leaves `index * 2^level` to `(index + 1) * 2^level - 1`) and its head.
   */
  append(leaf: Uint8Array, onSubtree?: (level: number, index: number, hash: Uint8Array) => void): void {
    let h = leaf;
    let level = 0;
    for (let s = this.count; isOdd(s); s = half(s)) {
      h = nodeHash(this.stack.pop() as Uint8Array, h);
      level++;
      onSubtree?.(level, (this.count + 1) / 2 ** level - 1, h);
    }
    this.stack.push(h);
    this.count++;
  }

  /** MTH of the leaves appended so far. */
  root(): Uint8Array {
    if (this.stack.length === 0) return EMPTY_TREE_ROOT;
    let r = this.stack[this.stack.length - 1] as Uint8Array;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i] as Uint8Array, r);
    return r;
  }
}

function assertTree(index: number, size: number, what: string): void {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`${what} ${index} is outside a tree of size ${size}`);
  }
}

/**
 * The leaf ranges whose tree heads form the inclusion proof PATH(m, D[n]) of RFC 9162
 * 2.1.3.1, in proof order (from the leaf up).
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertTree(index, size, 'leaf index');
  const out: LeafRange[] = [];
  const path = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, k);
      out.push([start + k, start + n]);
    } else {
      path(m - k, start + k, n - k);
      out.push([start, start + k]);
    }
  };
  path(index, 0, size);
  return out;
}

/**
 * The leaf ranges whose tree heads form the consistency proof PROOF(m, D[n]) of RFC 9162
 * 2.1.4.1 between tree sizes `first` and `second`, in proof order; empty when
 * `first` is 0 or equals `second`.
 */
export function consistencyRanges(first: number, second: number): LeafRange[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) {
    throw new RangeError(`no consistency proof from tree size ${first} to ${second}`);
  }
  const out: LeafRange[] = [];
  if (first === 0 || first === second) return out;
  const subproof = (m: number, start: number, n: number, b: boolean): void => {
    if (m === n) {
      if (!b) out.push([start, start + n]);
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, start, k, b);
      out.push([start + k, start + n]);
    } else {
      subproof(m - k, start + k, n - k, false);
      out.push([start, start + k]);
    }
  };
  subproof(first, 0, second, true);
  return out;
}

/**
 * The tree heads of `ranges` (disjoint, inside the first `size` leaves), computed in one
 * pass over the leaf hashes in index order, with memory O(ranges x log n): what a proof
 * generator needs when the leaves live in a database. `leaves` must yield at least
 * `max(end)` hashes; the rest is not read.
 */
export async function rangeRoots(ranges: readonly LeafRange[], leaves: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array[]> {
  const order = ranges.map((r, i) => ({ start: r[0], end: r[1], i })).sort((a, b) => a.start - b.start);
  const roots: Uint8Array[] = new Array<Uint8Array>(ranges.length);
  const last = order.reduce((m, r) => Math.max(m, r.end), 0);
  let next = 0;
  let current: MerkleFrontier | undefined;
  let index = 0;
  if (last === 0) return roots;
  for await (const leaf of leaves) {
    const range = order[next];
    if (range !== undefined && index >= range.start) {
      current ??= new MerkleFrontier();
      current.append(leaf);
      if (index + 1 === range.end) {
        roots[range.i] = current.root();
        current = undefined;
        next++;
      }
    }
    index++;
    if (index >= last) break;
  }
  if (index < last) throw new RangeError(`the tree has ${index} leaves, fewer than the ${last} the proof needs`);
  return roots;
}

const sameHash = (a: Uint8Array, b: Uint8Array): boolean => a.length === MERKLE_HASH_LENGTH && b.length === MERKLE_HASH_LENGTH && Buffer.from(a).equals(Buffer.from(b));

/**
 * Verifies an inclusion proof (RFC 9162 2.1.3.2): `leaf` (a leaf hash) is at `index` in the
 * tree of `size` leaves with head `root`. Never throws.
 */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (leaf.length !== MERKLE_HASH_LENGTH || proof.some((p) => p.length !== MERKLE_HASH_LENGTH)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) while (!isOdd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
}

/**
 * Verifies a consistency proof (RFC 9162 2.1.4.2): the tree of `first` leaves with head
 * `firstRoot` is a prefix of the tree of `second` leaves with head `secondRoot`. Never throws.
 */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (firstRoot.length !== MERKLE_HASH_LENGTH || secondRoot.length !== MERKLE_HASH_LENGTH || proof.some((p) => p.length !== MERKLE_HASH_LENGTH)) return false;
  if (first === second) return proof.length === 0 && sameHash(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0 && sameHash(firstRoot, EMPTY_TREE_ROOT);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) while (!isOdd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(fr, firstRoot) && sameHash(sr, secondRoot);
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}
