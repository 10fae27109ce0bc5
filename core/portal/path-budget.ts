import type { Node } from '../node/node.js';
import { LOCAL, addressToString } from '../routing/address.js';
import type { Route } from '../routing/message.js';
import { SecureChannelRegistry } from '../channel/secure-channel-registry.js';

/**
 * Bytes of acknowledged payloads that the portal sessions of one node may have in flight on
 * one path (one TCP connection or other first hop) at once: 4 MiB, half the transport's
 * default 8 MiB per-connection bound, so portal data alone never makes a connection drop
 * a message (credit, ack and close messages included).
 */
export const DEFAULT_PATH_BUDGET = 4 * 1024 * 1024;

/** A session waiting for its path's budget. */
export interface BudgetWaiter {
  /** Called when the waiter may send again (it is no longer queued). */
  budgetAvailable(): void;
  /** True once the session ended (a closed waiter is skipped). */
  readonly isClosed: boolean;
}

/**
 * The shared send budget of one path: sessions take bytes when they send a payload of at
 * least MIN_ACKED_PAYLOAD bytes and give them back when the peer acknowledges its arrival
 * (or when the session ends). A session finding the budget spent, or other sessions
 * already waiting, queues; as acknowledgements free the budget, waiters are woken in
 * order and each sends at most one chunk before queueing again behind the others
 * (round robin), so the sessions that fill a path are the ones slowed down, fairly.
 * No I/O, no timers.
 */
export class PathBudget {
  private inFlight = 0;
  private readonly queue: Array<BudgetWaiter | undefined> = [];
  private head = 0;
  private waking = false;
  /** Sessions using this budget (the registry forgets it at zero). */
  users = 0;

  constructor(
    readonly key: string,
    readonly limit: number,
  ) {}

  /** Bytes taken and not yet given back. */
  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** True while sessions are queued. */
  get hasWaiters(): boolean {
    return this.head < this.queue.length;
  }

  /**
   * Takes `bytes` for `waiter` if it may send now: the budget is not spent (a chunk may
   * overshoot it once) and nobody is queued ahead (`woken`: the waiter was just woken).
   * Otherwise queues the waiter (once) and returns false.
   */
  tryTake(bytes: number, waiter: BudgetWaiter, woken: boolean): boolean {
    if (this.inFlight < this.limit && (woken || !this.hasWaiters)) {
      this.inFlight += bytes;
      return true;
    }
    this.queue.push(waiter);
    return false;
  }

  /** Queues `waiter` behind the others (it sent its chunk and has more). */
  requeue(waiter: BudgetWaiter): void {
    this.queue.push(waiter);
  }

  /** Gives `bytes` back and wakes queued sessions while there is room. */
  release(bytes: number): void {
    this.inFlight = Math.max(0, this.inFlight - bytes);
    if (this.waking) return;
    this.waking = true;
    try {
      while (this.inFlight < this.limit && this.head < this.queue.length) {
        const waiter = this.queue[this.head]!;
        this.queue[this.head++] = undefined;
        if (!waiter.isClosed) waiter.budgetAvailable();
      }
      if (this.head >= this.queue.length || this.head > 1024) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
    } finally {
      this.waking = false;
    }
  }
}

const registries = new WeakMap<Node, Map<string, PathBudget>>();

/**
 * The first hop that `route` really leaves the node through: a secure channel's encryptor
 * is followed to the hop its own route starts with (nested channels too), so every session
 * on one TCP connection shares one budget however many channels it runs in.
 */
export function pathKey(node: Node, route: Route): string {
  const channels = SecureChannelRegistry.of(node);
  let hop = route[0];
  for (let depth = 0; hop !== undefined && hop.type === LOCAL && depth < 16; depth++) {
    const channel = channels.get(hop.value);
    if (channel === undefined || channel.address !== hop.value) break;
    hop = channel.route[0];
  }
  return hop === undefined ? '' : addressToString(hop);
}

/** The budget of the path `route` leaves `node` through; call {@link releasePathBudget} when done. */
export function acquirePathBudget(node: Node, route: Route, limit = DEFAULT_PATH_BUDGET): PathBudget {
  let budgets = registries.get(node);
  if (budgets === undefined) registries.set(node, budgets = new Map());
  const key = pathKey(node, route);
  let budget = budgets.get(key);
  if (budget === undefined) budgets.set(key, budget = new PathBudget(key, limit));
  budget.users++;
  return budget;
}

/** One session stopped using `budget`. */
export function releasePathBudget(node: Node, budget: PathBudget): void {
  if (--budget.users > 0) return;
  const budgets = registries.get(node);
  if (budgets?.get(budget.key) === budget) budgets.delete(budget.key);
}
