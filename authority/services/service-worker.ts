import { SymbolonError } from '../../core/errors.js';
import { StorageUnavailableError } from '../storage-unavailable-error.js';
import type { Worker, WorkerContext } from '../../core/node/worker.js';
import type { Message, PeerInfo, Route } from '../../core/routing/message.js';
import { TicketRefusedError } from '../ticket-refused-error.js';
import { Params } from './params.js';
import { decodeRequest, encodeError, encodeResult, salvageRequestId, type WireError, type WireMap } from './protocol.js';

/** One call of a service method, made by an authenticated channel peer. */
export interface ServiceCall {
  /** The peer the secure channel authenticated: the only identity a service trusts. */
  readonly caller: PeerInfo;
  readonly params: Params;
  /**
   * Aborted when the service stops, or when the request has run longer than the service's
   * request timeout (its caller has given up by then): stores roll back instead of
   * committing, so no change is made for a caller that is gone.
   */
  readonly signal: AbortSignal;
  /**
   * Registers what to do when the answer to this call cannot be delivered after the method
   * succeeded (its change is committed by then): `reason` says why. At most one per call.
   */
  readonly onUndelivered: (record: (reason: string) => Promise<void>) => void;
}

/** A service method: resolves with the result map, or throws a SymbolonError the caller may see. */
export type ServiceMethod = (call: ServiceCall) => Promise<WireMap>;

/** Counters of one service; they only grow. */
export interface ServiceStats {
  served: number;
  /** Requests answered with an error (refusals, invalid parameters, malformed requests). */
  failed: number;
  malformed: number;
  /** Answers that could not be sent: the caller's channel had closed. */
  undelivered: number;
}

/** Error kinds about this side, not the caller's request: their text never reaches the caller. */
const SERVER_SIDE_KINDS: ReadonlySet<string> = new Set(['internal', 'io', 'timeout', 'aborted']);

/** Requests one service handles at the same time; more wait in its mailbox. */
const DEFAULT_MAX_IN_FLIGHT = 32;
/** How long one request may run before it is abandoned (below the clients' default 15 s wait). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * A worker that serves the methods of one authority service with the shared request/response
 * codec. Each request gets exactly one reply on its return route; a malformed request, an
 * unknown method or a failing method yields an error reply, never a crash. Up to
 * `maxInFlight` requests run concurrently (a slow signing vault does not stall the others).
 * Access control is attached to the worker's address by whoever starts it; the worker
 * itself additionally refuses any message that did not come through a secure channel, since
 * it has no caller identity to act for.
 */
export class AuthorityServiceWorker implements Worker {
  /** Counters for this service. */
  readonly stats: ServiceStats = { served: 0, failed: 0, malformed: 0, undelivered: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly maxInFlight: number;
  private readonly requestTimeoutMs: number;
  /** False when a reply along the route can no longer leave this node (the caller's channel closed). */
  private readonly replyRouteOpen: (route: Route) => boolean;

  constructor(
    private readonly service: string,
    private readonly methods: Readonly<Record<string, ServiceMethod>>,
    options: { maxInFlight?: number; requestTimeoutMs?: number; replyRouteOpen?: (route: Route) => boolean } = {},
  ) {
    this.replyRouteOpen = options.replyRouteOpen ?? (() => true);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.requestTimeoutMs = Math.max(1, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  }

  /** Starts serving `message` and returns once there is room for the next one. */
  async handleMessage(ctx: WorkerContext, message: Message): Promise<void> {
    // serve() answers every failure itself; this catch only keeps a fault in that path
    // (e.g. a throwing logger) from becoming an unhandled rejection that ends the process.
    const work: Promise<void> = this.serve(ctx, message)
      .catch((error: unknown) => this.lost(ctx, error))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
  }

  /** Aborts running requests and waits for them to finish. */
  async shutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async serve(ctx: WorkerContext, message: Message): Promise<void> {
    if (message.returnRoute.length === 0) {
      this.stats.malformed++;
      ctx.logger.debug({ service: this.service }, 'authority request without a return route dropped');
      return;
    }
    const reply = (payload: Uint8Array): void => ctx.send(message.returnRoute, payload);
    let id = 0;
    try {
      let request;
      try {
        request = decodeRequest(message.payload);
      } catch (error) {
        this.stats.malformed++;
        id = salvageRequestId(message.payload);
        throw error;
      }
      id = request.id;
      const peer = message.origin?.via === 'channel' ? message.origin.peer : undefined;
      if (peer === undefined) throw new SymbolonError('authority', 'unauthorized', `the authority ${this.service} service answers only requests made over a secure channel`);
      const method = Object.hasOwn(this.methods, request.method) ? this.methods[request.method] : undefined;
      if (method === undefined) throw new SymbolonError('authority', 'invalid', `the authority ${this.service} service has no method "${request.method}"`);
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.requestTimeoutMs)]);
      let undelivered: ((reason: string) => Promise<void>) | undefined;
      const result = await method({ caller: peer, params: new Params(request.params), signal, onUndelivered: (record) => { undelivered = record; } });
      const routeOpen = this.replyRouteOpen(message.returnRoute);
      if (routeOpen) reply(encodeResult(id, result));
      else this.stats.undelivered++;
      const lost = !routeOpen ? 'the caller\'s channel closed before the answer could be sent'
        : signal.aborted ? 'answered after the request deadline (the caller may have given up)' : undefined;
      if (lost !== undefined && undelivered !== undefined) await this.recordUndelivered(ctx, undelivered, lost);
      this.stats.served++;
    } catch (error) {
      this.stats.failed++;
      reply(encodeError(id, this.wireError(ctx, error)));
    }
  }

  /**
   * What the caller learns about a failure: the message of our own errors about its request
   * (invalid, not found, unauthorized, ...). Server-side failures (storage I/O, timeouts,
   * aborts, bugs) keep their kind but only a generic message: a database error's text may
   * name hosts, tables or values, and is for the local log only.
   */
  private wireError(ctx: WorkerContext, error: unknown): WireError {
    if (error instanceof StorageUnavailableError) {
      // Its message names no host: the caller learns that the database is down, the log says why.
      ctx.logger.warn({ service: this.service, err: error.cause }, 'authority request failed: the database is unavailable');
      return { kind: error.kind, message: `the authority ${this.service} service failed: ${error.message}` };
    }
    if (error instanceof SymbolonError && !SERVER_SIDE_KINDS.has(error.kind)) {
      ctx.logger.debug({ service: this.service, err: error }, 'authority request refused');
      return { kind: error.kind, message: error.message, ...(error instanceof TicketRefusedError ? { reason: error.reason } : {}) };
    }
    ctx.logger.error({ service: this.service, err: error }, 'authority request failed');
    const kind = error instanceof SymbolonError ? error.kind : 'internal';
    return { kind, message: `the authority ${this.service} service failed to handle the request` };
  }

  /** Records an answer that was lost after its change was committed; a failure is logged, never thrown. */
  private async recordUndelivered(ctx: WorkerContext, record: (reason: string) => Promise<void>, reason: string): Promise<void> {
    try {
      await record(reason);
      ctx.logger.warn({ service: this.service, reason }, 'authority answer not delivered; recorded in the audit log');
    } catch (error) {
      ctx.logger.error({ service: this.service, reason, err: error }, 'authority answer not delivered, and recording that failed');
    }
  }

  /** A failure of the reply path itself (already counted as failed): logged when the logger still works. */
  private lost(ctx: WorkerContext, error: unknown): void {
    try {
      ctx.logger.error({ service: this.service, err: error }, 'authority request could not be answered');
    } catch {
      // Nothing left to report to.
    }
  }
}
