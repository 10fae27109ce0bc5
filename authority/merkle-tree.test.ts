import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  consistencyRanges, EMPTY_TREE_ROOT, inclusionRanges, leafHash, MerkleFrontier, rangeRoots, rootOf, verifyConsistency, verifyInclusion,
} from './merkle-tree.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

// The reference tree of RFC 6962 implementations (certificate-transparency merkle_tree_test,
// transparency-dev/merkle): 8 leaves and the tree head of every prefix.
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((d) => leafHash(unhex(d)));
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];
const CT_CONSISTENCY = [
  { first: 1, second: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { first: 6, second: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { first: 2, second: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];

async function inclusionProof(leaves: readonly Uint8Array[], index: number, size: number): Promise<Uint8Array[]> {
  return await rangeRoots(inclusionRanges(index, size), leaves);
}
async function consistencyProof(leaves: readonly Uint8Array[], first: number, second: number): Promise<Uint8Array[]> {
  return await rangeRoots(consistencyRanges(first, second), leaves);
}

describe('Merkle tree (RFC 9162 / RFC 6962)', () => {
  it('matches the reference tree heads, recursively and leaf by leaf', () => {
    expect(hex(EMPTY_TREE_ROOT)).toBe(CT_ROOTS[0]);
    const frontier = new MerkleFrontier();
    for (let n = 0; n <= 8; n++) {
      expect(hex(rootOf(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
      expect(hex(frontier.root()), `frontier size ${n}`).toBe(CT_ROOTS[n]);
      const restored = new MerkleFrontier(frontier.size, frontier.nodes);
      expect(hex(restored.root())).toBe(CT_ROOTS[n]);
      if (n < 8) frontier.append(CT_LEAVES[n]!);
    }
    expect(() => new MerkleFrontier(3, [CT_LEAVES[0]!])).toThrow(RangeError);
  });

  it('produces and verifies the reference inclusion proofs', async () => {
    for (const v of CT_INCLUSION) {
      const proof = await inclusionProof(CT_LEAVES, v.index, v.size);
      expect(proof.map(hex), `${v.index}/${v.size}`).toEqual(v.proof);
      expect(verifyInclusion(v.index, v.size, CT_LEAVES[v.index]!, proof, unhex(CT_ROOTS[v.size]!))).toBe(true);
      expect(verifyInclusion(v.index, v.size, CT_LEAVES[(v.index + 1) % v.size]!, proof, unhex(CT_ROOTS[v.size]!))).toBe(false);
    }
  });

  it('produces and verifies the reference consistency proofs', async () => {
    for (const v of CT_CONSISTENCY) {
      const proof = await consistencyProof(CT_LEAVES, v.first, v.second);
      expect(proof.map(hex), `${v.first}->${v.second}`).toEqual(v.proof);
      expect(verifyConsistency(v.first, v.second, unhex(CT_ROOTS[v.first]!), unhex(CT_ROOTS[v.second]!), proof)).toBe(true);
      expect(verifyConsistency(v.first, v.second, unhex(CT_ROOTS[v.first - 1]!), unhex(CT_ROOTS[v.second]!), proof)).toBe(false);
    }
  });

  it('handles the degenerate cases without throwing', () => {
    const r4 = unhex(CT_ROOTS[4]!);
    expect(verifyConsistency(4, 4, r4, r4, [])).toBe(true);
    expect(verifyConsistency(4, 4, r4, unhex(CT_ROOTS[5]!), [])).toBe(false);
    expect(verifyConsistency(0, 8, EMPTY_TREE_ROOT, unhex(CT_ROOTS[8]!), [])).toBe(true);
    expect(verifyConsistency(8, 6, unhex(CT_ROOTS[8]!), unhex(CT_ROOTS[6]!), [])).toBe(false);
    expect(verifyInclusion(8, 8, CT_LEAVES[0]!, [], unhex(CT_ROOTS[8]!))).toBe(false);
    expect(verifyInclusion(0, 1, CT_LEAVES[0]!, [], unhex(CT_ROOTS[1]!))).toBe(true);
    expect(verifyInclusion(0, 8, new Uint8Array(31), [], unhex(CT_ROOTS[8]!))).toBe(false);
    expect(() => inclusionRanges(3, 3)).toThrow(RangeError);
    expect(() => consistencyRanges(5, 3)).toThrow(RangeError);
  });

  const leafArb = fc.uint8Array({ minLength: 0, maxLength: 40 });
  const treeArb = fc.array(leafArb, { minLength: 1, maxLength: 300 }).map((data) => data.map(leafHash));

  test.prop([treeArb, fc.nat(), fc.nat()], { numRuns: 60 })('any tree size, any leaf: its inclusion proof verifies, and fails for another leaf or position', async (leaves, a, b) => {
    const size = leaves.length;
    const index = a % size;
    const root = rootOf(leaves);
    const proof = await inclusionProof(leaves, index, size);
    expect(verifyInclusion(index, size, leaves[index]!, proof, root)).toBe(true);
    const other = b % size;
    if (other !== index && hex(leaves[other]!) !== hex(leaves[index]!)) {
      expect(verifyInclusion(other, size, leaves[index]!, proof, root)).toBe(false);
      expect(verifyInclusion(index, size, leaves[other]!, proof, root)).toBe(false);
    }
    if (proof.length > 0) {
      const bent = proof.map((p) => new Uint8Array(p));
      bent[b % bent.length]![0]! ^= 1;
      expect(verifyInclusion(index, size, leaves[index]!, bent, root)).toBe(false);
      expect(verifyInclusion(index, size, leaves[index]!, proof.slice(1), root)).toBe(false);
    }
    expect(verifyInclusion(index, size, leaves[index]!, [...proof, leaves[0]!], root)).toBe(false);
  });

  test.prop([treeArb, fc.nat()], { numRuns: 60 })('any two tree sizes: the consistency proof verifies, and fails for a changed old head', async (leaves, a) => {
    const second = leaves.length;
    const first = a % (second + 1);
    const proof = await consistencyProof(leaves, first, second);
    const r1 = rootOf(leaves.slice(0, first));
    const r2 = rootOf(leaves);
    expect(verifyConsistency(first, second, r1, r2, proof)).toBe(true);
    if (first > 0 && first < second) {
      const forged = leaves.slice(0, first).map((l, i) => (i === a % first ? leafHash(l) : l));
      expect(verifyConsistency(first, second, rootOf(forged), r2, proof)).toBe(false);
      expect(verifyConsistency(first, second, r1, r2, proof.slice(0, -1))).toBe(false);
    }
  });

  test.prop([treeArb], { numRuns: 40 })('the frontier equals the recursive definition at every size', (leaves) => {
    const frontier = new MerkleFrontier();
    for (const leaf of leaves) frontier.append(leaf);
    expect(hex(frontier.root())).toBe(hex(rootOf(leaves)));
  });
});
