import { InvalidInputError } from '../errors.js';
import type { Socket } from 'node:net';
import type { Node } from '../node/node.js';

/** Small helpers shared by the inlet and the outlet. */

/** Stops the worker at `address` if it is still there; never rejects. */
export async function stopQuietly(node: Node, address: string): Promise<void> {
  if (!node.hasWorker(address)) return;
  try {
    await node.stopWorker(address);
  } catch {
    // Already gone (node stopping): nothing left to release.
  }
}

/** Default liveness timeout of a session (see PipeTimeouts): probe after 5 s without progress, abort after 15 s. */
export const DEFAULT_LIVENESS_TIMEOUT_MS = 15_000;

/** Checks a timeout option that may be 0 (off), in ms (at most 30 days). */
export function nonNegative(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 2_592_000_000) throw new InvalidInputError('portal', `${what} must be an integer 0..2592000000 (ms)`);
  return value;
}

/** Checks a positive integer option. */
export function positive(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new InvalidInputError('portal', `${what} must be an integer 1..${max}`);
  return value;
}

/**
 * Ends `socket` abnormally: an RST (the peer sees ECONNRESET), never an orderly FIN, so a
 * cut stream is never taken for a complete one. Keeps a no-op error listener, since a
 * destroyed socket may still report a late error.
 */
export function resetSocket(socket: Socket): void {
  socket.on('error', ignore);
  if (socket.destroyed) return;
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function ignore(): void {}
