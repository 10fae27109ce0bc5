/**
 * The raw TCP baseline, measured in the same run (and the same rounds) as the portals:
 * - `raw`: Node client -> Node sink (the baseline BENCHMARKS.md uses for its ratios);
 * - `raw-forwarded`: Node client -> plain TCP forwarder (its own process) -> Node sink,
 *   the same process hops a portal has, with no framing, routing or encryption.
 */
import { BenchChild } from './support/child-rpc.js';

/** The raw paths' addresses and how to stop the forwarder process. */
export interface RawTcpPaths {
  readonly paths: { readonly raw: string; readonly 'raw-forwarded': string };
  /** The forwarder's process id. */
  readonly forwarderPid: number | undefined;
  stop(): Promise<void>;
}

/** Starts the forwarder process in front of `sink`; the direct path is the sink itself. */
export async function startRawTcpPaths(sink: string, options: { signal?: AbortSignal } = {}): Promise<RawTcpPaths> {
  const forwarder = await BenchChild.start('sink', options);
  try {
    const { address } = await forwarder.call<{ address: string }>('forwarder', { target: sink }, options);
    return { paths: { raw: sink, 'raw-forwarded': address }, forwarderPid: forwarder.pid, stop: () => forwarder.stop() };
  } catch (error) {
    await forwarder.stop();
    throw error;
  }
}
