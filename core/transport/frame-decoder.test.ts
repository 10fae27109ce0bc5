import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDecoder } from './frame-decoder.js';
import type { FrameSink } from './frame-decoder.js';

function collector(): FrameSink & { frames: number[][]; heartbeats: number } {
  const sink = {
    frames: [] as number[][],
    heartbeats: 0,
    onFrame(body: Uint8Array) { sink.frames.push(Array.from(body)); },
    onHeartbeat() { sink.heartbeats++; },
  };
  return sink;
}

function frame(body: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is split (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }), (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map(frame));
        const sink = collector();
        const decoder = new FrameDecoder(64, sink);
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const next = Math.min(stream.length, at + cuts[i % cuts.length]!);
          expect(decoder.push(stream.subarray(at, next))).toBe(true);
          at = next;
        }
        expect(sink.frames).toEqual(bodies.filter((b) => b.length > 0).map((b) => Array.from(b)));
        expect(sink.heartbeats).toBe(bodies.filter((b) => b.length === 0).length);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an oversized length as soon as the header is complete', () => {
    const sink = collector();
    const decoder = new FrameDecoder(1024, sink);
    expect(decoder.push(Uint8Array.of(0, 0))).toBe(true);
    expect(decoder.push(Uint8Array.of(0xff, 0xff))).toBe(false);
    expect(decoder.oversizedLength).toBe(0xffff);
    expect(decoder.push(frame(Uint8Array.of(1)))).toBe(false);
    expect(sink.frames).toEqual([]);
  });

  it('accepts a frame of exactly the maximum size and passes whole frames as views', () => {
    const sink = collector();
    const views: Uint8Array[] = [];
    const decoder = new FrameDecoder(8, { onFrame: (b) => views.push(b), onHeartbeat: () => sink.onHeartbeat() });
    const stream = frame(new Uint8Array(8).fill(7));
    expect(decoder.push(stream)).toBe(true);
    expect(views[0]!.buffer).toBe(stream.buffer);
    expect(views[0]!.length).toBe(8);
  });
});
