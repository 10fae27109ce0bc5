/**
 * Noise protocol-core figures, in process, no identity checks:
 *   node --import tsx bench/noise.ts [--json]
 * handshakes/s (both sides of an XX handshake on one thread) and transport
 * encrypt+decrypt throughput at 16 KiB and 64 B frames.
 */
import { TransportState, X25519KeyPair, XxInitiator, XxResponder, type HandshakeResult } from '../core/channel/noise/index.js';

function handshake(is: X25519KeyPair, rs: X25519KeyPair): { i: HandshakeResult; r: HandshakeResult } {
  const w1 = XxInitiator.start({ staticKey: is }).writeMessage1();
  const r1 = XxResponder.start({ staticKey: rs }).readMessage1(w1.send);
  const w2 = r1.next.writeMessage2();
  const w3 = w1.next.readMessage2(w2.send).next.writeMessage3();
  const r3 = w2.next.readMessage3(w3.send);
  return { i: w3.next, r: r3.next };
}

/** Runs `step` repeatedly for about `ms` milliseconds; returns runs per second. */
function rate(ms: number, step: () => void): number {
  for (let i = 0; i < 50; i++) step();
  let runs = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 20; i++) step();
    runs += 20;
    now = performance.now();
  }
  return (runs * 1000) / (now - start);
}

const is = X25519KeyPair.generate();
const rs = X25519KeyPair.generate();
const handshakesPerSecond = rate(1500, () => { handshake(is, rs); });

function throughput(frameSize: number): number {
  const { i, r } = handshake(is, rs);
  const a = new TransportState(i);
  const b = new TransportState(r);
  const payload = new Uint8Array(frameSize).fill(7);
  const perSecond = rate(1500, () => { b.decrypt(a.encrypt(payload)); });
  a.close();
  b.close();
  return (perSecond * frameSize) / 1e6;
}

const results = {
  handshakesPerSecond: Math.round(handshakesPerSecond),
  transportMBps16KiB: Math.round(throughput(16 * 1024)),
  transportMBps64B: Number(throughput(64).toFixed(1)),
  transportFramesPerSecond64B: 0,
};
results.transportFramesPerSecond64B = Math.round((results.transportMBps64B * 1e6) / 64);

if (process.argv.includes('--json')) console.log(JSON.stringify(results));
else {
  console.log(`Noise XX handshakes (both sides, one thread): ${results.handshakesPerSecond}/s`);
  console.log(`transport encrypt+decrypt, 16 KiB frames: ${results.transportMBps16KiB} MB/s`);
  console.log(`transport encrypt+decrypt, 64 B frames: ${results.transportMBps64B} MB/s (${results.transportFramesPerSecond64B} frames/s)`);
}
