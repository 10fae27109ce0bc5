// Handshakes per second for a legitimate peer while another source floods the listener
// with Noise message 1, as a ratio to a quiet run in the same bench. The listener and the
// legitimate initiator run in this process over TCP on 127.0.0.1 with the product's default
// handshake limits (pending handshakes per source and in total, per-source source key as
// a node uses it); the flood comes from a separate process bound to 127.0.0.2 (another
// source address), over several connections, each message 1 with a fresh ephemeral key,
// sent as fast as the listener's node reads them. Prints one JSON line; exports the measurement.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { testActor, testAuthority } from '../core/channel/testing/channel-fixtures.js';
import { createSecureChannel } from '../core/channel/create-secure-channel.js';
import { defaultHandshakeSource, SecureChannelListener } from '../core/channel/secure-channel-listener.js';
import { local, tcp } from '../core/routing/address.js';
import { encodeMessage } from '../core/routing/message-codec.js';
import { trackChild } from './support/child-rpc.js';
import { within } from './support/step-deadline.js';

/** Bound of a step other than a measurement (start, stop, one warm-up handshake). */
const STEP_MS = 30_000;

/** Result of {@link benchHandshakeFlood}. */
export interface HandshakeFloodBench {
  readonly name: 'handshake_flood';
  /** Legitimate handshakes per second with no flood (same run, same lanes). */
  readonly quietPerSecond: number;
  /** Legitimate handshakes per second while the flood ran. */
  readonly floodPerSecond: number;
  /** floodPerSecond / quietPerSecond, two decimals. */
  readonly ratio: number;
  /** Legitimate handshakes that failed during the flood (timeouts, drops). */
  readonly failedUnderFlood: number;
  /** Message 1s the flood process sent per second, and over how many connections. */
  readonly floodMessagesPerSecond: number;
  readonly floodConnections: number;
  /** Message 1s the listener dropped during the flood: in all, and of those for their source's pending-handshake bound. */
  readonly dropped: number;
  readonly droppedPerSource: number;
  /** Handshakes the flood made the listener run to their timeout (started, never finished). */
  readonly timedOut: number;
}

/** The source address of the flood (all of 127.0.0.0/8 is loopback on Linux). */
const FLOOD_SOURCE = '127.0.0.2';
const FLOOD_CONNECTIONS = 8;

/** One framed routing message carrying a Noise message 1 (`1` + a fresh 32-byte ephemeral key) to `api`. */
function messageOneFrame(i: number): Buffer {
  const body = encodeMessage({ onwardRoute: [local('api')], returnRoute: [local(`flood${i}`)], payload: Buffer.concat([Uint8Array.of(1), randomBytes(32)]) });
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  return frame;
}

/**
 * The flood process: `FLOOD_CONNECTIONS` connections from {@link FLOOD_SOURCE} to
 * `target`, each writing message 1 frames whenever its socket drains, reconnecting when
 * the node closes it; reports the number sent when the parent says `stop`.
 */
function runFlood(target: string): void {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  let sent = 0;
  let stopping = false;
  const sockets = new Set<Socket>();
  // A pool of frames, refreshed as it goes (each a different ephemeral key; generating one per send would measure randomBytes).
  const pool = Array.from({ length: 4096 }, (_, i) => messageOneFrame(i));
  const open = (): void => {
    if (stopping) return;
    const socket = connect({ host, port, localAddress: FLOOD_SOURCE });
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('close', () => { sockets.delete(socket); setTimeout(open, 10); });
    socket.once('connect', () => {
      socket.write(Uint8Array.of(1));
      const pump = (): void => {
        while (!stopping && !socket.destroyed) {
          const i = sent++ % pool.length;
          if (!socket.write(pool[i]!)) { socket.once('drain', pump); return; }
          if (sent % 64 === 0) pool[i] = messageOneFrame(i);
        }
      };
      pump();
    });
  };
  for (let i = 0; i < FLOOD_CONNECTIONS; i++) open();
  process.on('message', (m) => {
    if (m !== 'stop') return;
    stopping = true;
    for (const s of sockets) s.destroy();
    process.send?.({ sent }, () => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.('ready');
}

/** Starts the flood process against `target`; resolves once it runs. */
async function startFlood(target: string): Promise<{ stop: () => Promise<number>; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), ['--flood', target], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  trackChild(child);
  child.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  await within('start the flood process', STEP_MS, new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    exited.then(() => reject(new Error(`flood process exited (${child.exitCode ?? child.signalCode}) before it ran`)), () => undefined);
  })).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    child,
    // Settles whether the child answers, already exited, or hangs (killed after a bound).
    stop: async () => {
      if (gone() || !child.connected) {
        child.kill('SIGKILL');
        return 0;
      }
      const answer = new Promise<number>((resolve) => {
        child.once('message', (m) => resolve((m as { sent: number }).sent));
        exited.then(() => resolve(0), () => undefined);
      });
      child.send('stop');
      try {
        return await within('stop the flood process', 5_000, answer);
      } catch {
        child.kill('SIGKILL');
        return 0;
      }
    },
  };
}

/**
 * Measures legitimate handshakes (open, confirmed, closed) per second with `lanes` in
 * flight for `durationMs`, first quiet, then while the flood runs.
 */
export async function benchHandshakeFlood(durationMs = 2000, lanes = 4): Promise<HandshakeFloodBench> {
  const authority = await testAuthority();
  const a = await testActor('flood-a', authority, { role: 'client' }, [authority]);
  const b = await testActor('flood-b', authority, { role: 'server' }, [authority]);
  let flood: Awaited<ReturnType<typeof startFlood>> | undefined;
  try {
    // The product's default limits; handshakes are bounded per remote IP address, as a node does.
    const listener = await within('start the listener', STEP_MS, SecureChannelListener.start(b.node, b.options({
      handshakeSource: (message) => b.transport.sourceOf(message) ?? defaultHandshakeSource(message),
      authorize: (peer) => peer.identifier === a.identity.identifier && peer.attributes.role === 'client',
    })));
    const route = [tcp(b.address), local('api')];
    const options = a.options({ authorize: (peer) => peer.attributes.role === 'server' });
    await within('the first handshake', STEP_MS, createSecureChannel(a.node, route, options).then((c) => c.close()));

    // Each handshake settles within its own deadline (handshakeTimeoutMs); the bound on the
    // whole measurement is a second line of defence that names the stalled step.
    const measure = (what: string) => within(what, durationMs + STEP_MS, measureOnce());
    const measureOnce = async (): Promise<{ handshakes: number; failed: number; seconds: number }> => {
      let handshakes = 0;
      let failed = 0;
      const start = performance.now();
      const deadline = start + durationMs;
      const loop = async (): Promise<void> => {
        while (performance.now() < deadline) {
          try {
            const channel = await createSecureChannel(a.node, route, options);
            await channel.close();
            handshakes++;
          } catch {
            failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: lanes }, loop));
      return { handshakes, failed, seconds: (performance.now() - start) / 1000 };
    };
    await measure('warm-up handshakes');
    const quiet = await measure('quiet handshakes');
    const before = { ...listener.stats };
    flood = await startFlood(b.address);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const flooded = await measure('handshakes during the flood');
    const sent = await flood.stop();
    const floodSeconds = (performance.now() - t0) / 1000 + 0.3;
    flood = undefined;
    const quietPerSecond = Math.round(quiet.handshakes / quiet.seconds);
    const floodPerSecond = Math.round(flooded.handshakes / flooded.seconds);
    return {
      name: 'handshake_flood',
      quietPerSecond,
      floodPerSecond,
      ratio: quietPerSecond > 0 ? Math.round((floodPerSecond / quietPerSecond) * 100) / 100 : Number.NaN,
      failedUnderFlood: flooded.failed,
      floodMessagesPerSecond: Math.round(sent / floodSeconds),
      floodConnections: FLOOD_CONNECTIONS,
      dropped: listener.stats.dropped - before.dropped,
      droppedPerSource: listener.stats.droppedPerSource - before.droppedPerSource,
      timedOut: listener.stats.timedOut - before.timedOut,
    };
  } finally {
    await flood?.stop();
    await within('stop the nodes', STEP_MS, Promise.all([a.node.stop(), b.node.stop()]));
  }
}

if (process.argv[2] === '--flood' && process.argv[3] !== undefined) {
  runFlood(process.argv[3]);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchHandshakeFlood()));
}
