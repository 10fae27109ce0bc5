import type { Node } from '../node/node.js';

/** Largest receive window a session grows to while its reader keeps up (2 MiB). */
export const MAX_GROWN_WINDOW = 2 * 1024 * 1024;

/**
 * Bytes a session must write out promptly (its socket buffering nothing) before its window
 * doubles: 8 MiB, more than the kernel's buffers take from a reader that never reads (about
 * 4 MiB of send buffer here, the receive buffer staying small), so a window grows only for
 * a reader that really reads. A reader that keeps up and then stalls is bounded by the pool.
 */
export const GROW_AFTER_BYTES = 8 * 1024 * 1024;

/**
 * Receive window beyond their announced one that the portal sessions of one node may have
 * granted at once: 12 MiB, eight sessions grown from 512 KiB to 2 MiB. It bounds what
 * readers that kept up and then stalled can make the node hold on top of one announced
 * window per direction and session.
 */
export const DEFAULT_WINDOW_POOL = 12 * 1024 * 1024;

/**
 * The node-wide allowance for grown receive windows (see PortalPipe, "adaptive window"):
 * a session takes from it to grow and gives back as it shrinks or ends. No I/O, no timers.
 */
export class WindowPool {
  private used = 0;

  constructor(readonly limit: number = DEFAULT_WINDOW_POOL) {}

  /** Bytes taken and not yet given back. */
  get bytesInUse(): number {
    return this.used;
  }

  /** Takes up to `bytes`; returns what was taken (0 when the pool is spent). */
  take(bytes: number): number {
    const taken = Math.max(0, Math.min(bytes, this.limit - this.used));
    this.used += taken;
    return taken;
  }

  /** Gives `bytes` back. */
  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

const pools = new WeakMap<Node, WindowPool>();

/** The window pool of `node` (one per node, shared by its inlets and outlets). */
export function windowPoolOf(node: Node): WindowPool {
  let pool = pools.get(node);
  if (pool === undefined) pools.set(node, pool = new WindowPool());
  return pool;
}
