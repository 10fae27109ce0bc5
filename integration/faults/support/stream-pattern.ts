import { createHash } from 'node:crypto';

/** Size of one block of a {@link StreamPattern}; each block is stamped with the stream id and its index. */
export const BLOCK = 64 * 1024;

/**
 * The bytes of every test stream, a pure function of (seed, stream id, offset), so a
 * client and a server in different processes can check each other's bytes without
 * exchanging hashes: block k of stream `id` is the seed's 64 KiB block with its first 8
 * bytes replaced by `id` and `k` (u32 big-endian each).
 */
export class StreamPattern {
  private readonly base: Buffer;

  constructor(seed: string) {
    const parts: Buffer[] = [];
    for (let i = 0; i * 32 < BLOCK; i++) parts.push(createHash('sha256').update(`${seed}:${i}`).digest());
    this.base = Buffer.concat(parts).subarray(0, BLOCK);
  }

  /** Block `index` of stream `id` (a fresh buffer of {@link BLOCK} bytes). */
  block(id: number, index: number): Buffer {
    const b = Buffer.from(this.base);
    b.writeUInt32BE(id >>> 0, 0);
    b.writeUInt32BE(index >>> 0, 4);
    return b;
  }

  /** The bytes of stream `id` from `offset`, `length` of them. */
  bytes(id: number, offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const index = Math.floor(at / BLOCK);
      const within = at - index * BLOCK;
      const n = Math.min(BLOCK - within, length - done);
      this.block(id, index).copy(out, done, within, within + n);
      done += n;
    }
    return out;
  }
}

/**
 * Checks a stream as it arrives against the pattern: `push` each received buffer; `corruptAt`
 * is the offset of the first byte that differs (undefined while every byte matched).
 */
export class StreamChecker {
  received = 0;
  corruptAt: number | undefined;

  constructor(private readonly pattern: StreamPattern, private readonly id: number) {}

  push(data: Buffer): void {
    if (this.corruptAt === undefined && !data.equals(this.pattern.bytes(this.id, this.received, data.length))) {
      const expected = this.pattern.bytes(this.id, this.received, data.length);
      let i = 0;
      while (i < data.length && data[i] === expected[i]) i++;
      this.corruptAt = this.received + i;
    }
    this.received += data.length;
  }
}
