import { InvalidInputError } from '../errors.js';
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

/** Checks a positive integer option. */
export function positive(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new InvalidInputError('portal', `${what} must be an integer 1..${max}`);
  return value;
}
