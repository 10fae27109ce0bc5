import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { GcMode } from '../home/node-config.js';

/**
 * Up to this many CPUs, a node collects garbage on its main thread only
 * (`--single-threaded-gc`): a node process is CPU-bound on the data plane, and parallel GC
 * helper threads only contend with the other busy processes of a path on a small machine
 * (measured: 1.85x bulk throughput through a relay on 2 CPUs; see docs/performance.md).
 */
export const SINGLE_THREADED_GC_MAX_CPUS = 4;

/**
 * Node.js options of a node process for `mode` (`auto`: single-threaded GC on machines of
 * at most SINGLE_THREADED_GC_MAX_CPUS CPUs). Must be on the process's command line: Node
 * refuses `--single-threaded-gc` in NODE_OPTIONS.
 */
export function gcArgs(mode: GcMode = 'auto', cpus: number = availableParallelism()): string[] {
  const single = mode === 'single-threaded' || (mode === 'auto' && cpus <= SINGLE_THREADED_GC_MAX_CPUS);
  return single ? ['--single-threaded-gc'] : [];
}

/**
 * The command line that runs the node daemon: `process.execPath` with
 * `dist/node/daemon/node-main.js` when running from the build, or with `--import tsx` and
 * `node/daemon/node-main.ts` when running from sources, after the GC options of `gc` (see
 * {@link gcArgs}). With `foreground`, the node also writes its log to the terminal (stdout)
 * besides the node's log file.
 */
export function daemonCommand(
  homeRoot: string, name: string, { foreground = false, gc = 'auto' }: { foreground?: boolean; gc?: GcMode } = {},
): { command: string; args: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSources ? '../daemon/node-main.ts' : '../daemon/node-main.js', import.meta.url));
  const loader = fromSources ? ['--import', import.meta.resolve('tsx')] : [];
  return {
    command: process.execPath,
    args: [...gcArgs(gc), ...loader, '--no-warnings', entry, '--home', homeRoot, '--name', name, ...(foreground ? ['--foreground'] : [])],
  };
}
