import { randomBytes } from 'node:crypto';
import { AbortedError, AlreadyExistsError, InvalidInputError, NotFoundError, TimeoutError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { LOCAL, addressToString, local } from '../routing/address.js';
import type { Address, AddressType } from '../routing/address.js';
import type { Message, Route } from '../routing/message.js';
import { allowAll, allowLocal } from './access-control.js';
import type { AccessControl, AccessRequest } from './access-control.js';
import type { Worker, WorkerContext } from './worker.js';
import { PendingDecision, WorkerSlot } from './worker-slot.js';
import type { SlotHost } from './worker-slot.js';
import type { AccessControls, NodeOptions, NodeStats, Router } from './node-options.js';

export type { AccessControls, DeniedHandler, NodeOptions, NodeStats, Router } from './node-options.js';

/** Deliveries in a row after which the node lets pending I/O run (setImmediate) before going on. */
const YIELD_EVERY = 4096;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Hosts workers at local addresses and routes messages between them and, through
 * registered routers, to other nodes. Undeliverable or denied messages are dropped,
 * logged at debug level and counted, never thrown.
 */
export class Node {
  readonly name: string;
  readonly logger: Logger;
  readonly stats: NodeStats = { delivered: 0, dropped: 0, denied: 0, forwardingRefused: 0, malformed: 0, workerErrors: 0 };
  private readonly slots = new Map<string, WorkerSlot>();
  private readonly routers = new Map<AddressType, Router>();
  /** Transport hops (as `addressToString`) that messages from outside may be routed to. */
  private readonly forwardTo: ReadonlySet<string>;
  private readonly stopHooks = new Set<() => void | Promise<void>>();
  private readonly missingHandlers = new Map<string, (message: Message) => void>();
  private readonly host: SlotHost;
  private readonly ready: Array<WorkerSlot | undefined> = [];
  private readyHead = 0;
  private flushQueued = false;
  private immediate: NodeJS.Immediate | null = null;
  private sinceYield = 0;
  private stopping: Promise<void> | null = null;

  constructor(options: NodeOptions) {
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      throw new InvalidInputError('node', 'node name must be a non-empty string');
    }
    this.name = options.name;
    this.forwardTo = new Set([...(options.allowForwardingTo ?? [])].map(addressToString));
    this.logger = (options.logger ?? silentLogger).child({ node: options.name });
    this.host = {
      logger: this.logger,
      schedule: (slot) => this.schedule(slot),
      sendFrom: (slot, message) => this.sendFrom(slot, message),
      delivered: () => {
        this.stats.delivered++;
        this.sinceYield++;
      },
      denied: (slot, message, direction) => this.denySlot(slot, message, direction),
      dropped: (message, reason) => this.reportDropped(message, reason),
      failed: (slot, error) => {
        this.stats.workerErrors++;
        this.logger.error({ worker: slot.address, err: error }, 'worker failed to handle a message');
      },
    };
  }

  /** True once `stop()` was called. */
  get isStopped(): boolean {
    return this.stopping !== null;
  }

  /**
   * Starts `worker` at `address`. Defaults: incoming `allowLocal`, outgoing `allowAll`.
   * `initialize` runs before any message is handled. Throws AlreadyExistsError if taken.
   */
  async startWorker(address: string, worker: Worker, options: AccessControls = {}): Promise<void> {
    if (this.stopping) throw new AbortedError('node', `node '${this.name}' is stopped`);
    local(address);
    if (this.slots.has(address)) throw new AlreadyExistsError('node', `worker address '${address}' is already taken`);
    const slot = new WorkerSlot(this.host, address, worker, options.incoming ?? allowLocal, options.outgoing ?? allowAll);
    slot.onIncomingDenied = options.onIncomingDenied;
    this.slots.set(address, slot);
    if (worker.initialize) {
      try {
        await worker.initialize(slot);
      } catch (error) {
        if (this.slots.get(address) === slot) this.slots.delete(address);
        slot.close();
        throw error;
      }
    }
    slot.open();
  }

  /** Stops the worker at `address`: queued messages are dropped, then `shutdown` is called. */
  async stopWorker(address: string): Promise<void> {
    const slot = this.slots.get(address);
    if (!slot) throw new NotFoundError('node', `no worker at '${address}'`);
    this.slots.delete(address);
    await this.shutdownSlot(slot);
  }

  /** True when a worker is registered at `address`. */
  hasWorker(address: string): boolean {
    return this.slots.has(address);
  }

  /** Addresses of all registered workers. */
  workerAddresses(): string[] {
    return [...this.slots.keys()];
  }

  /** Replaces the access controls of a running worker (only those given). */
  setAccessControl(address: string, controls: AccessControls): void {
    const slot = this.slots.get(address);
    if (!slot) throw new NotFoundError('node', `no worker at '${address}'`);
    if (controls.incoming) slot.incoming = controls.incoming;
    if (controls.outgoing) slot.outgoing = controls.outgoing;
    if (controls.onIncomingDenied) slot.onIncomingDenied = controls.onIncomingDenied;
  }

  /**
   * Lets `handler` see messages to a missing local address that starts with `prefix`, after
   * they are counted as dropped (e.g. the relay service answers "no such relay" for
   * `forward_to_`). One handler per prefix; it must not throw. Returns an unsubscribe function.
   */
  onMissingWorker(prefix: string, handler: (message: Message) => void): () => void {
    if (prefix.length === 0) throw new InvalidInputError('node', 'a missing-worker prefix must not be empty');
    if (this.missingHandlers.has(prefix)) throw new AlreadyExistsError('node', `a missing-worker handler for '${prefix}' is already registered`);
    this.missingHandlers.set(prefix, handler);
    return () => {
      if (this.missingHandlers.get(prefix) === handler) this.missingHandlers.delete(prefix);
    };
  }

  /** Registers the router for messages whose first hop has a non-local `type`. */
  registerRouter(type: AddressType, router: Router): void {
    if (type === LOCAL) throw new InvalidInputError('node', 'local addresses are routed by the node itself');
    if (this.routers.has(type)) throw new AlreadyExistsError('node', `a router for address type ${type} is already registered`);
    this.routers.set(type, router);
  }

  /** Removes the router for `type`, if it is `router` (or any, when `router` is omitted). */
  unregisterRouter(type: AddressType, router?: Router): void {
    if (router === undefined || this.routers.get(type) === router) this.routers.delete(type);
  }

  /** Calls `hook` at the start of `stop()` (transports close listeners and pending connects). Returns an unsubscribe function. */
  onStop(hook: () => void | Promise<void>): () => void {
    this.stopHooks.add(hook);
    return () => this.stopHooks.delete(hook);
  }

  /** Delivers `message` by its first onward hop. Never throws. */
  route(message: Message): void {
    if (this.stopping) {
      this.reportDropped(message, 'node stopped');
      return;
    }
    const first = message?.onwardRoute?.[0];
    if (first === undefined) {
      this.stats.malformed++;
      this.logger.debug({ reason: 'empty onward route' }, 'message dropped');
      return;
    }
    if (first.type === LOCAL) {
      const slot = this.slots.get(first.value);
      if (!slot) {
        this.reportDropped(message, `no worker at ${first.value}`);
        if (this.missingHandlers.size > 0) this.missingWorker(first.value, message);
        return;
      }
      const decision = this.decide(slot.incoming, slot.address, 'incoming', message);
      if (decision === true) slot.enqueue(message);
      else if (decision === false) this.denySlot(slot, message, 'incoming');
      else slot.enqueue(new PendingDecision(message, decision));
      return;
    }
    // The routing boundary: only messages that originate in this node go to a transport
    // directly; one from outside (any transport, any channel) only to an allowed hop.
    const origin = message.origin;
    if (origin !== undefined && origin.via !== 'local' && !this.mayForwardTo(first)) {
      this.stats.forwardingRefused++;
      this.deny(addressToString(first), message, 'incoming');
      return;
    }
    const router = this.routers.get(first.type);
    if (!router) {
      this.reportDropped(message, `no router for ${addressToString(first)}`);
      return;
    }
    try {
      router(message);
    } catch (error) {
      this.reportDropped(message, `router failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** True when messages from outside may be routed to transport hop `hop` (allowForwardingTo). */
  mayForwardTo(hop: Address): boolean {
    return this.forwardTo.size > 0 && this.forwardTo.has(addressToString(hop));
  }

  /** Sends from local code (origin local). The return route defaults to empty. */
  send(onward: Route, payload: Uint8Array, options: { returnRoute?: Route } = {}): void {
    this.route({ onwardRoute: onward, returnRoute: options.returnRoute ?? [], payload });
  }

  /**
   * Sends `payload` with a fresh temporary address as return route and resolves with the
   * first message that arrives there. The temporary address accepts replies from any origin
   * (`incoming`, default allowAll) and is removed in every outcome.
   * Rejects with TimeoutError (default 30 s) or AbortedError.
   */
  request(onward: Route, payload: Uint8Array, options: { timeoutMs?: number; signal?: AbortSignal; incoming?: AccessControl } = {}): Promise<Message> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (this.stopping) return Promise.reject(new AbortedError('node', `node '${this.name}' is stopped`));
    if (signal?.aborted) return Promise.reject(new AbortedError('node', 'request aborted'));
    const address = this.freshAddress('request');
    return new Promise<Message>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | null, reply?: Message): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const slot = this.slots.get(address);
        if (slot) {
          this.slots.delete(address);
          slot.close();
        }
        if (error) reject(error);
        else resolve(reply!);
      };
      const onAbort = (): void => finish(new AbortedError('node', 'request aborted'));
      const timer = setTimeout(() => finish(new TimeoutError('node', `no reply within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const worker: Worker = {
        handleMessage: (_ctx, message) => finish(null, message),
        shutdown: () => finish(new AbortedError('node', `node '${this.name}' stopped before a reply arrived`)),
      };
      const slot = new WorkerSlot(this.host, address, worker, options.incoming ?? allowAll, allowAll);
      this.slots.set(address, slot);
      slot.open();
      this.route({ onwardRoute: onward, returnRoute: [slot.selfAddress], payload });
    });
  }

  /** A local address not in use, `PREFIX.<random hex>` (hard to guess). */
  freshAddress(prefix: string): string {
    for (;;) {
      const address = `${prefix}.${randomBytes(8).toString('hex')}`;
      if (!this.slots.has(address)) return local(address).value;
    }
  }

  /** Counts and logs (debug) a message that could not be delivered. For transports and channels. */
  reportDropped(message: Message, reason: string): void {
    this.stats.dropped++;
    const to = message?.onwardRoute?.[0];
    this.logger.debug({ reason, to: to ? addressToString(to) : undefined }, 'message dropped');
  }

  /** Hands a message for a missing address to the handler of its prefix, if any. */
  private missingWorker(address: string, message: Message): void {
    for (const [prefix, handler] of this.missingHandlers) {
      if (!address.startsWith(prefix)) continue;
      try {
        handler(message);
      } catch (error) {
        this.logger.error({ prefix, err: error }, 'missing-worker handler failed');
      }
      return;
    }
  }

  /** Counts and logs (debug) bytes that did not decode as a message. For transports and channels. */
  reportMalformed(source: string, error: unknown): void {
    this.stats.malformed++;
    this.logger.debug({ source, reason: error instanceof Error ? error.message : String(error) }, 'malformed message dropped');
  }

  /** Stops every worker (calling `shutdown`), the stop hooks and routers. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    for (const hook of [...this.stopHooks]) {
      try {
        await hook();
      } catch (error) {
        this.logger.error({ err: error }, 'stop hook failed');
      }
    }
    this.stopHooks.clear();
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(slots.map((slot) => this.shutdownSlot(slot)));
    this.routers.clear();
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    this.ready.length = 0;
    this.readyHead = 0;
  }

  private async shutdownSlot(slot: WorkerSlot): Promise<void> {
    slot.close();
    try {
      await slot.worker.shutdown?.(slot);
    } catch (error) {
      this.logger.error({ worker: slot.address, err: error }, 'worker failed to shut down');
    }
  }

  private sendFrom(slot: WorkerSlot, message: Message): void {
    if (slot.isClosed) {
      this.reportDropped(message, `worker ${slot.address} stopped`);
      return;
    }
    if (slot.outgoingTail === null) {
      const decision = this.decide(slot.outgoing, slot.address, 'outgoing', message);
      if (decision === true) this.route(message);
      else if (decision === false) this.deny(slot.address, message, 'outgoing');
      else this.chainOutgoing(slot, message, decision);
      return;
    }
    this.chainOutgoing(slot, message, null);
  }

  /** Keeps a worker's sends in order while some outgoing decision is asynchronous. */
  private chainOutgoing(slot: WorkerSlot, message: Message, started: Promise<boolean> | null): void {
    const previous = slot.outgoingTail ?? Promise.resolve();
    const tail: Promise<void> = previous.then(async () => {
      const decision = started ?? this.decide(slot.outgoing, slot.address, 'outgoing', message);
      const allowed = decision === true || decision === false ? decision : await decision;
      if (allowed) this.route(message);
      else this.deny(slot.address, message, 'outgoing');
      if (slot.outgoingTail === tail) slot.outgoingTail = null;
    });
    slot.outgoingTail = tail;
  }

  /** Runs an access control; a throw or rejection is a denial. Promise only when the control is async. */
  private decide(control: AccessControl, address: string, direction: 'incoming' | 'outgoing', message: Message): boolean | Promise<boolean> {
    const request: AccessRequest = { address, direction, message };
    let result: boolean | Promise<boolean>;
    try {
      result = control.isAuthorized(request);
    } catch (error) {
      this.logger.debug({ worker: address, direction, err: error }, 'access control failed');
      return false;
    }
    if (result === true || result === false) return result;
    if (result !== null && typeof result === 'object' && typeof (result as Promise<boolean>).then === 'function') {
      return Promise.resolve(result).then(
        (ok) => ok === true,
        (error: unknown) => {
          this.logger.debug({ worker: address, direction, err: error }, 'access control failed');
          return false;
        },
      );
    }
    return false;
  }

  /** A denial at a worker's address; an incoming one also goes to the slot's denied hook. */
  private denySlot(slot: WorkerSlot, message: Message, direction: 'incoming' | 'outgoing'): void {
    this.deny(slot.address, message, direction);
    const hook = slot.onIncomingDenied;
    if (direction !== 'incoming' || hook === undefined || slot.isClosed) return;
    try {
      hook(slot, message);
    } catch (error) {
      this.stats.workerErrors++;
      this.logger.error({ worker: slot.address, err: error }, 'denied-message hook failed');
    }
  }

  private deny(address: string, message: Message, direction: 'incoming' | 'outgoing'): void {
    this.stats.denied++;
    this.logger.debug({ worker: address, direction, via: message.origin?.via ?? 'local' }, 'message denied');
  }

  private schedule(slot: WorkerSlot): void {
    this.ready.push(slot);
    if (this.flushQueued) return;
    this.flushQueued = true;
    if (this.sinceYield < YIELD_EVERY) queueMicrotask(this.flush);
    else this.immediate = setImmediate(this.flush);
  }

  /** Drains ready mailboxes; yields to I/O after YIELD_EVERY deliveries. */
  private readonly flush = (): void => {
    if (this.immediate) {
      this.immediate = null;
      this.sinceYield = 0;
    }
    while (this.readyHead < this.ready.length) {
      if (this.sinceYield >= YIELD_EVERY) {
        this.immediate = setImmediate(this.flush);
        return;
      }
      const slot = this.ready[this.readyHead]!;
      this.ready[this.readyHead++] = undefined;
      void slot.drain();
    }
    this.ready.length = 0;
    this.readyHead = 0;
    this.flushQueued = false;
  };
}
