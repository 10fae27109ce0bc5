// Secure channel figures, in process, two nodes over TCP on 127.0.0.1: full mutual-auth
// handshakes per second (identities, X25519 key attestations, credentials verified against
// a trusted authority, the listener's authorize hook; each channel opened and then closed),
// and request/reply round trips per second through one channel to an echo worker.
// Prints one JSON line; exports the measurement.
import { pathToFileURL } from 'node:url';
import { testActor, testAuthority } from '../core/channel/testing/channel-fixtures.js';
import { createSecureChannel } from '../core/channel/create-secure-channel.js';
import { SecureChannelListener } from '../core/channel/secure-channel-listener.js';
import { local, tcp } from '../core/routing/address.js';
import { within } from './support/step-deadline.js';

/** Bound of a step other than a measurement. */
const STEP_MS = 30_000;

/** Result of {@link benchSecureChannels}. */
export interface SecureChannelBench {
  readonly name: 'secure_channel';
  /** Complete handshakes (open, confirmed, closed) per second. */
  readonly handshakesPerSecond: number;
  readonly handshakes: number;
  readonly handshakeConcurrency: number;
  /** The same with 100 initiators at once (one node each side, in process). */
  readonly concurrent100?: { readonly handshakesPerSecond: number; readonly handshakes: number };
  /** Request/reply round trips per second through one channel (one in flight). */
  readonly roundTripsPerSecond: number;
  readonly roundTrips: number;
  readonly transport: 'tcp-127.0.0.1';
}

/**
 * Runs handshakes for `durationMs` with `concurrency` in flight (bounded by `maxHandshakes`),
 * then round trips for `durationMs` (bounded by `maxRoundTrips`).
 */
export async function benchSecureChannels(durationMs = 1500, concurrency = 8, maxHandshakes = 20_000, maxRoundTrips = 200_000): Promise<SecureChannelBench> {
  const authority = await testAuthority();
  const a = await testActor('bench-a', authority, { role: 'client' }, [authority]);
  const b = await testActor('bench-b', authority, { role: 'server' }, [authority]);
  try {
    await within('start the listener', STEP_MS, SecureChannelListener.start(b.node, b.options({
      maxPendingHandshakes: 256,
      // Every initiator here is one node (one source): lift the per-source bound so 100
      // initiators at once measure throughput, not that bound.
      maxPendingHandshakesPerSource: 256,
      authorize: (peer) => peer.identifier === a.identity.identifier && peer.attributes.role === 'client',
    })));
    const route = [tcp(b.address), local('api')];
    const options = a.options({ authorize: (peer) => peer.attributes.role === 'server' });
    await within('the first handshake', STEP_MS, createSecureChannel(a.node, route, options).then((c) => c.close()));

    const measure = (lanes: number) => within(`handshakes, ${lanes} in flight`, durationMs + STEP_MS, measureOnce(lanes));
    const measureOnce = async (lanes: number): Promise<{ handshakes: number; seconds: number }> => {
      let handshakes = 0;
      const start = performance.now();
      const deadline = start + durationMs;
      const loop = async (): Promise<void> => {
        while (performance.now() < deadline && handshakes < maxHandshakes) {
          const channel = await createSecureChannel(a.node, route, options);
          await channel.close();
          handshakes++;
        }
      };
      await Promise.all(Array.from({ length: lanes }, loop));
      return { handshakes, seconds: (performance.now() - start) / 1000 };
    };
    const { handshakes, seconds: handshakeSeconds } = await measure(concurrency);
    const burst = await measure(100).catch(() => undefined);

    const channel = await within('open the round-trip channel', STEP_MS, createSecureChannel(a.node, route, options));
    const echo = [local(channel.address), local('echo')];
    const payload = new Uint8Array(64);
    const request = { timeoutMs: 10_000 };
    let roundTrips = 0;
    let rtSeconds = 0;
    await within('round trips', durationMs + STEP_MS, (async () => {
      for (let i = 0; i < 200; i++) await a.node.request(echo, payload, request);
      const rtStart = performance.now();
      const rtDeadline = rtStart + durationMs;
      while (performance.now() < rtDeadline && roundTrips < maxRoundTrips) {
        for (let i = 0; i < 50; i++) await a.node.request(echo, payload, request);
        roundTrips += 50;
      }
      rtSeconds = (performance.now() - rtStart) / 1000;
    })());
    await within('close the round-trip channel', STEP_MS, channel.close());
    return {
      name: 'secure_channel',
      handshakesPerSecond: Math.round(handshakes / handshakeSeconds),
      handshakes,
      handshakeConcurrency: concurrency,
      ...(burst ? { concurrent100: { handshakesPerSecond: Math.round(burst.handshakes / burst.seconds), handshakes: burst.handshakes } } : {}),
      roundTripsPerSecond: Math.round(roundTrips / rtSeconds),
      roundTrips,
      transport: 'tcp-127.0.0.1',
    };
  } finally {
    await within('stop the nodes', STEP_MS, Promise.all([a.node.stop(), b.node.stop()]));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchSecureChannels()));
}
