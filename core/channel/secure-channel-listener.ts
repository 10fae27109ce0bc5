import { AbortedError, InvalidInputError } from '../errors.js';
import { allowAll, denyAll } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import type { Message, PeerInfo } from '../routing/message.js';
import { DEFAULT_LISTENER_ADDRESS, HANDSHAKE_MESSAGE_1 } from './channel-wire.js';
import { handshakeContext, type HandshakeContext } from './handshake-common.js';
import { ResponderHandshake, type ResponderOutcome } from './handshake-responder.js';
import { checkTimeout, DEFAULT_HANDSHAKE_TIMEOUT_MS, requireTrustedCredential, type SecureChannelOptions } from './secure-channel-options.js';

/** Options of {@link SecureChannelListener}. */
export interface SecureChannelListenerOptions extends SecureChannelOptions {
  /** Worker address; default `api`. */
  readonly address?: string;
  /** Handshakes in progress at once; further message 1s are dropped. Default 256. */
  readonly maxPendingHandshakes?: number;
  /** Handshakes in progress at once from one source (see `handshakeSource`); further message 1s from it are dropped. Default 16. */
  readonly maxPendingHandshakesPerSource?: number;
  /**
   * Names the source a message 1 came from, for the per-source bound. Default: the
   * authenticated peer when it came through a channel, else the first hop of its return
   * route (the connection it arrived on). A node passes one that names the remote IP
   * address of a TCP connection, so many connections from one host share one budget.
   */
  readonly handshakeSource?: (message: Message) => string;
  /**
   * Asked before `authorize` about each authenticated peer: true refuses the handshake
   * whatever `authorize` would say (a node refuses identities its authorities revoked this
   * way, so no policy can admit them). A throw or rejection refuses too.
   */
  readonly refusePeer?: (peer: PeerInfo) => boolean | Promise<boolean>;
}

/** Default {@link SecureChannelListenerOptions.maxPendingHandshakes}. */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 256;
/** Default {@link SecureChannelListenerOptions.maxPendingHandshakesPerSource}. */
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE = 16;

/** `options` whose authorize hook asks `refusePeer` first (a refusal, throw or rejection denies). */
function refusingFirst(options: SecureChannelListenerOptions): SecureChannelListenerOptions {
  const refuse = options.refusePeer;
  if (refuse === undefined) return options;
  const authorize = options.authorize ?? requireTrustedCredential;
  return {
    ...options,
    authorize: (peer, context) => {
      const refused = refuse(peer);
      if (refused === true) return false;
      if (refused === false) return authorize(peer, context);
      return refused.then((r) => (r === false ? authorize(peer, context) : false));
    },
  };
}

/** The default handshake source: the channel peer, else the first return hop (the connection). */
export function defaultHandshakeSource(message: Message): string {
  const origin = message.origin;
  if (origin?.via === 'channel' && origin.peer !== undefined) return `peer:${origin.peer.identifier}`;
  const first = message.returnRoute[0];
  return first === undefined ? '' : `hop:${first.type}:${first.value}`;
}

/** Listener counters; they only grow. */
export interface SecureChannelListenerStats {
  /** Channels opened. */
  accepted: number;
  /** Handshakes the authorize hook denied. */
  refused: number;
  /** Handshakes that failed verification or were cut short. */
  failed: number;
  /** Handshakes that ran out of time. */
  timedOut: number;
  /** Message 1s dropped: too many pending handshakes, or not a message 1. */
  dropped: number;
  /** Of `dropped`: message 1s dropped because their source had too many handshakes pending. */
  droppedPerSource: number;
}

/**
 * The responder side: a worker (default address `api`) that accepts handshake message 1
 * from anyone (incoming allowAll) and spawns one {@link ResponderHandshake} per message,
 * each with its own decryptor address. Bounded: at most `maxPendingHandshakesPerSource`
 * from one source and `maxPendingHandshakes` in all at once, each cut off after
 * `handshakeTimeoutMs`; a message 1 past a bound is dropped before any key agreement. Which peers may complete a handshake is the
 * `authorize` hook's call (resource type `secure-channel-listener`), after `refusePeer`.
 */
export class SecureChannelListener implements Worker {
  readonly stats: SecureChannelListenerStats = { accepted: 0, refused: 0, failed: 0, timedOut: 0, dropped: 0, droppedPerSource: 0 };
  private pending = 0;
  /** Pending handshakes by source; a source leaves the map when its count drops to zero. */
  private readonly pendingBySource = new Map<string, number>();
  private stopped = false;

  private constructor(
    private readonly node: Node,
    /** The listener's worker address. */
    readonly address: string,
    private readonly options: SecureChannelListenerOptions,
    private readonly context: HandshakeContext,
    private readonly maxPending: number,
    private readonly maxPendingPerSource: number,
    private readonly sourceOf: (message: Message) => string,
    private readonly timeoutMs: number,
  ) {}

  /** Starts a listener on `node`. Rejects with AlreadyExistsError when the address is taken. */
  static async start(node: Node, options: SecureChannelListenerOptions): Promise<SecureChannelListener> {
    if (options.signal?.aborted) throw new AbortedError('channel', 'secure channel listener start aborted');
    const maxPending = options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new InvalidInputError('channel', 'maxPendingHandshakes must be a positive integer');
    const perSource = options.maxPendingHandshakesPerSource ?? DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE;
    if (!Number.isInteger(perSource) || perSource < 1) throw new InvalidInputError('channel', 'maxPendingHandshakesPerSource must be a positive integer');
    const timeoutMs = checkTimeout(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    const address = options.address ?? DEFAULT_LISTENER_ADDRESS;
    const logger = node.logger.child({ component: 'secure-channel', role: 'responder', listener: address });
    const listener = new SecureChannelListener(
      node, address, refusingFirst(options), handshakeContext(node, options, logger), maxPending, perSource, options.handshakeSource ?? defaultHandshakeSource, timeoutMs,
    );
    await node.startWorker(address, listener, { incoming: allowAll, outgoing: denyAll });
    options.signal?.addEventListener('abort', listener.onAbort, { once: true });
    return listener;
  }

  /** Handshakes in progress. */
  get pendingHandshakes(): number {
    return this.pending;
  }

  /** Stops accepting handshakes (open channels stay). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.node.hasWorker(this.address)) await this.node.stopWorker(this.address);
  }

  /** {@inheritDoc Worker.handleMessage} */
  async handleMessage(_ctx: WorkerContext, message: Message): Promise<void> {
    if (this.stopped) return;
    if (message.payload.length < 2 || message.payload[0] !== HANDSHAKE_MESSAGE_1 || message.returnRoute.length === 0) {
      this.stats.dropped++;
      this.context.logger.debug({ length: message.payload.length }, 'not a handshake message 1; dropped');
      return;
    }
    // Cheap early drops, before any key agreement: per source, then in total.
    let source: string;
    try {
      source = this.sourceOf(message);
    } catch {
      source = '';
    }
    const fromSource = this.pendingBySource.get(source) ?? 0;
    if (fromSource >= this.maxPendingPerSource) {
      this.stats.dropped++;
      this.stats.droppedPerSource++;
      if (this.stats.droppedPerSource % 1000 === 1) this.context.logger.warn({ pending: fromSource, dropped: this.stats.droppedPerSource }, 'too many pending secure channel handshakes from one source; message 1 dropped');
      return;
    }
    if (this.pending >= this.maxPending) {
      this.stats.dropped++;
      if (this.stats.dropped % 1000 === 1) this.context.logger.warn({ pending: this.pending, dropped: this.stats.dropped }, 'too many pending secure channel handshakes; message 1 dropped');
      return;
    }
    this.pending++;
    this.pendingBySource.set(source, fromSource + 1);
    const responder = new ResponderHandshake(this.node, this.address, this.options, this.context, message, this.timeoutMs, (outcome) => {
      const left = (this.pendingBySource.get(source) ?? 1) - 1;
      if (left > 0) this.pendingBySource.set(source, left);
      else this.pendingBySource.delete(source);
      this.finished(outcome);
    });
    await responder.run();
  }

  /** {@inheritDoc Worker.shutdown} */
  shutdown(): void {
    this.stopped = true;
  }

  private readonly finished = (outcome: ResponderOutcome): void => {
    this.pending--;
    if (outcome === 'accepted') this.stats.accepted++;
    else if (outcome === 'refused') this.stats.refused++;
    else if (outcome === 'timeout') this.stats.timedOut++;
    else this.stats.failed++;
  };

  private readonly onAbort = (): void => {
    this.stop().catch(() => undefined);
  };
}
