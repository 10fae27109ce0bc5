import { local } from '../routing/address.js';
import type { Address } from '../routing/address.js';
import type { Message, Route } from '../routing/message.js';
import type { Logger } from '../logger.js';
import type { AccessControl } from './access-control.js';
import type { Worker, WorkerContext } from './worker.js';

/** What a slot needs from its node; the node builds one of these once. */
export interface SlotHost {
  readonly logger: Logger;
  /** Asks the node to call `drain()` on this slot soon (never synchronously). */
  schedule(slot: WorkerSlot): void;
  /** A message leaves the worker: outgoing access control, then routing. */
  sendFrom(slot: WorkerSlot, message: Message): void;
  /** Counters. */
  delivered(slot: WorkerSlot): void;
  denied(slot: WorkerSlot, message: Message, direction: 'incoming' | 'outgoing'): void;
  dropped(message: Message, reason: string): void;
  failed(slot: WorkerSlot, error: unknown): void;
}

/** A message whose (asynchronous) incoming access decision is still pending; keeps mailbox order. */
export class PendingDecision {
  constructor(
    readonly message: Message,
    readonly decision: Promise<boolean>,
  ) {}
}

type Item = Message | PendingDecision | undefined;

/**
 * One registered worker: its mailbox and the WorkerContext it sees. An idle slot holds no
 * timer, promise or closure, only this object, so a node can hold very many of them.
 * Messages are handled one at a time, in order; an async handler is awaited before the next.
 */
export class WorkerSlot implements WorkerContext {
  /** Incoming and outgoing access control; the node may replace them. */
  incoming: AccessControl;
  outgoing: AccessControl;
  /** Called for messages the incoming control denied (see Node's AccessControls). */
  onIncomingDenied: ((ctx: WorkerContext, message: Message) => void) | undefined = undefined;
  /** Tail of the chain of asynchronous outgoing decisions, so sends keep their order. */
  outgoingTail: Promise<void> | null = null;
  private queue: Item[] | null = null;
  private head = 0;
  private busy = true;
  private closed = false;
  private log: Logger | undefined;
  private self: Address | undefined;

  constructor(
    private readonly host: SlotHost,
    readonly address: string,
    readonly worker: Worker,
    incoming: AccessControl,
    outgoing: AccessControl,
  ) {
    this.incoming = incoming;
    this.outgoing = outgoing;
  }

  /** A logger bound to this worker's address (created on first use). */
  get logger(): Logger {
    return (this.log ??= this.host.logger.child({ worker: this.address }));
  }

  /** This worker's address as a route hop. */
  get selfAddress(): Address {
    return (this.self ??= local(this.address));
  }

  /** True once the worker was stopped. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** {@inheritDoc WorkerContext.send} */
  send(onward: Route, payload: Uint8Array, returnRoute?: Route): void {
    this.host.sendFrom(this, { onwardRoute: onward, returnRoute: returnRoute ?? [this.selfAddress], payload });
  }

  /** {@inheritDoc WorkerContext.forward} */
  forward(message: Message): void {
    this.host.sendFrom(this, message);
  }

  /** Queues a message (access already granted, or pending as a PendingDecision). */
  enqueue(item: Message | PendingDecision): void {
    if (this.closed) {
      this.host.dropped(item instanceof PendingDecision ? item.message : item, 'worker stopped');
      return;
    }
    (this.queue ??= []).push(item);
    if (!this.busy) {
      this.busy = true;
      this.host.schedule(this);
    }
  }

  /** Marks the slot ready after `initialize` (busy until then, so messages wait). */
  open(): void {
    this.busy = false;
    if (this.queue !== null && this.head < this.queue.length) {
      this.busy = true;
      this.host.schedule(this);
    }
  }

  /** Stops accepting messages; queued ones are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const queue = this.queue;
    if (queue !== null) {
      for (let i = this.head; i < queue.length; i++) {
        const item = queue[i]!;
        this.host.dropped(item instanceof PendingDecision ? item.message : item, 'worker stopped');
      }
    }
    this.queue = null;
    this.head = 0;
  }

  /** Handles queued messages until the mailbox is empty. Never rejects. */
  async drain(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      if (this.closed || queue === null || this.head >= queue.length) break;
      const item = queue[this.head];
      queue[this.head++] = undefined;
      let message: Message;
      if (item instanceof PendingDecision) {
        const allowed = await item.decision;
        if (this.closed) break;
        if (!allowed) {
          this.host.denied(this, item.message, 'incoming');
          continue;
        }
        message = item.message;
      } else {
        message = item!;
      }
      this.host.delivered(this);
      try {
        const result = this.worker.handleMessage(this, message);
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') await result;
      } catch (error) {
        this.host.failed(this, error);
      }
    }
    if (this.queue !== null && this.head >= this.queue.length) {
      this.queue = null;
      this.head = 0;
    }
    this.busy = false;
    if (!this.closed && this.queue !== null && this.head < this.queue.length) {
      this.busy = true;
      this.host.schedule(this);
    }
  }
}
