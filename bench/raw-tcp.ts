/**
 * The raw TCP baseline, measured in the same run as the portal figures:
 * - `direct`: Node client -> Node sink (the baseline BENCHMARKS.md uses for its ratios);
 * - `forwarded`: Node client -> plain TCP forwarder (its own process) -> Node sink, the
 *   same process hops a portal has, with no framing, routing or encryption.
 */
import { BenchChild } from './support/child-rpc.js';
import { measurePath } from './support/measure-path.js';
import type { PathFigures, PathOptions } from './support/measure-path.js';

/** What {@link benchRawTcp} measured. */
export interface RawTcpBench {
  readonly direct: PathFigures;
  readonly forwarded: PathFigures;
}

/** Inputs of {@link benchRawTcp}: the running sink and load generator, and the sizes. */
export interface RawTcpBenchOptions extends PathOptions {
  readonly client: BenchChild;
  /** The sink's `HOST:PORT`. */
  readonly sink: string;
  readonly signal?: AbortSignal;
}

/** Measures both raw paths; the forwarder process is started and stopped here. */
export async function benchRawTcp(options: RawTcpBenchOptions): Promise<RawTcpBench> {
  const direct = await measurePath(options.client, options.sink, options);
  const forwarder = await BenchChild.start('sink', { signal: options.signal });
  try {
    const { address } = await forwarder.call<{ address: string }>('forwarder', { target: options.sink });
    const forwarded = await measurePath(options.client, address, options);
    return { direct, forwarded };
  } finally {
    await forwarder.stop();
  }
}
