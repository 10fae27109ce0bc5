import type { Node } from '../node/node.js';
import type { Logger } from '../logger.js';
import type { Route } from '../routing/message.js';
import { AbortedError, InvalidInputError } from '../errors.js';
import { assertRelayName, decodeRelayMessage, encodeRelayMessage, relayAddress } from './relay-message.js';
import { LastError } from '../last-error.js';
import type { LastErrorState } from '../last-error.js';

/**
 * A route to the relay service with a signal that aborts once the route is dead (e.g. the
 * secure channel it runs through closed): the client then registers again at once.
 */
export interface RelayServiceRoute {
  readonly route: Route;
  readonly closed?: AbortSignal;
}

/** Supplies the route to the project's relay service, e.g. re-creating a secure channel after a failure. */
export type RelayServiceRouteProvider = (options: { signal: AbortSignal }) => Route | RelayServiceRoute | Promise<Route | RelayServiceRoute>;

/** Options for {@link RelayClient}. */
export interface RelayClientOptions {
  /** The relay name to register (`forward_to_NAME` on the project node). */
  readonly name: string;
  /** Route to the relay service (ending at its address, e.g. `[...toProject, local('relay')]`), or a provider called before every attempt. */
  readonly route: Route | RelayServiceRouteProvider;
  /** Interval between keep-alives, in ms (default 5 000). Keep it well under the service's expiry. */
  readonly keepAliveMs?: number;
  /** How long to wait for each reply, in ms (default 5 000). */
  readonly requestTimeoutMs?: number;
  /** First retry delay after a failure, doubled up to `maxBackoffMs` (defaults 250 and 10 000 ms). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * For this long after the relay was lost (default 30 000 ms), a retry after an
   * unreachable route (not after a refusal) waits at most `fastBackoffMs` (default 1 000 ms),
   * so the relay is back soon after a restarted project node listens again.
   */
  readonly fastPhaseMs?: number;
  readonly fastBackoffMs?: number;
  readonly logger?: Logger;
}

/** What `status()` reports. */
export interface RelayClientStatus extends LastErrorState {
  readonly name: string;
  /** The relay's worker address on the project node. */
  readonly address: string;
  /** True while the last registration or keep-alive was accepted. */
  readonly connected: boolean;
  /** True when the last attempt reached the relay service and it refused the registration. */
  readonly refused: boolean;
  /** True when that refusal said another peer holds the name. */
  readonly held: boolean;
  /** When `connected` last changed (ms since the epoch). */
  readonly since: number;
  /** Accepted registrations (first ones and re-registrations after a failure). */
  readonly registrations: number;
}

/**
 * Keeps a relay registered at the project node: registers NAME, refreshes it every
 * `keepAliveMs`, and on a refusal, timeout or route failure re-registers with exponential
 * backoff (asking the route provider for a fresh route each time), by itself, until stopped.
 * When the route's `closed` signal aborts, it registers again at once; while the route is
 * unreachable it retries quickly for `fastPhaseMs`, then backs off up to `maxBackoffMs`.
 */
export class RelayClient {
  readonly name: string;
  private readonly node: Node;
  private readonly options: RelayClientOptions;
  private readonly logger: Logger;
  private readonly keepAliveMs: number;
  private readonly requestTimeoutMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fastPhaseMs: number;
  private readonly fastBackoffMs: number;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private connected = false;
  private readonly lastError = new LastError();
  private refused = false;
  private held = false;
  private since = Date.now();
  private registrations = 0;
  private lastRoute: Route | undefined;
  private routeClosed: AbortSignal | undefined;

  constructor(node: Node, options: RelayClientOptions) {
    assertRelayName(options.name);
    this.name = options.name;
    this.node = node;
    this.options = options;
    this.keepAliveMs = checkMs(options.keepAliveMs ?? 5_000, 'keepAliveMs');
    this.requestTimeoutMs = checkMs(options.requestTimeoutMs ?? 5_000, 'requestTimeoutMs');
    this.minBackoffMs = checkMs(options.minBackoffMs ?? 250, 'minBackoffMs');
    this.maxBackoffMs = Math.max(this.minBackoffMs, checkMs(options.maxBackoffMs ?? 10_000, 'maxBackoffMs'));
    this.fastPhaseMs = checkMs(options.fastPhaseMs ?? 30_000, 'fastPhaseMs');
    this.fastBackoffMs = Math.max(this.minBackoffMs, checkMs(options.fastBackoffMs ?? 1_000, 'fastBackoffMs'));
    this.logger = (options.logger ?? node.logger).child({ relay: options.name });
  }

  /** Starts keeping the relay registered; resolves after the first attempt (see `status()` for its outcome). */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (options.signal?.aborted) throw new AbortedError('relay');
    if (this.loop) return;
    await this.attempt();
    this.loop = this.run();
  }

  /** Stops the keep-alive and asks the service to remove the relay (best effort, bounded). */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    await this.loop;
    if (this.connected && this.lastRoute && !this.node.isStopped) {
      try {
        await this.node.request(this.lastRoute, encodeRelayMessage({ type: 'delete', name: this.name }), { timeoutMs: this.requestTimeoutMs });
      } catch (error) {
        this.logger.debug({ err: (error as Error).message }, 'relay delete got no reply');
      }
    }
    this.setConnected(false);
  }

  /** Registration state. */
  status(): RelayClientStatus {
    return {
      name: this.name,
      address: relayAddress(this.name),
      connected: this.connected,
      ...this.lastError.state(),
      refused: this.refused,
      held: this.held,
      since: this.since,
      registrations: this.registrations,
    };
  }

  private async run(): Promise<void> {
    let backoff = this.minBackoffMs;
    while (!this.stopping.signal.aborted) {
      let delay = this.keepAliveMs;
      if (!this.connected) {
        const fast = !this.refused && Date.now() - this.since < this.fastPhaseMs;
        delay = fast ? Math.min(backoff, this.fastBackoffMs) : backoff;
      }
      // A dead route wakes the loop at once (the wait ends early), unless it is already dead.
      const closed = this.routeClosed?.aborted === false ? this.routeClosed : undefined;
      await sleep(delay, this.stopping.signal, closed);
      if (this.stopping.signal.aborted) return;
      const woken = closed?.aborted === true;
      await this.attempt();
      backoff = this.connected || woken ? this.minBackoffMs : Math.min(this.maxBackoffMs, backoff * 2);
    }
  }

  /** One registration or keep-alive; never throws. */
  private async attempt(): Promise<void> {
    const signal = this.stopping.signal;
    try {
      const provider = this.options.route;
      const given = typeof provider === 'function' ? await provider({ signal }) : provider;
      const { route, closed } = Array.isArray(given) ? { route: given as Route, closed: undefined } : given as RelayServiceRoute;
      this.lastRoute = route;
      this.routeClosed = closed;
      const reply = await this.node.request(route, encodeRelayMessage({ type: 'create', name: this.name }), {
        timeoutMs: this.requestTimeoutMs, signal,
      });
      const decoded = decodeRelayMessage(reply.payload);
      if (decoded.type !== 'created') {
        this.refused = true;
        this.held = decoded.type === 'held';
        return this.setConnected(false, this.held ? `relay ${this.name} is held by another member` : 'the relay service refused the registration');
      }
      this.refused = false;
      this.held = false;
      if (!this.connected) {
        this.registrations++;
        this.logger.info({ registrations: this.registrations }, 'relay registered');
      }
      this.setConnected(true);
    } catch (error) {
      if (signal.aborted) return;
      this.refused = false;
      this.held = false;
      this.setConnected(false, error instanceof Error ? error.message : String(error));
    }
  }

  private setConnected(connected: boolean, error?: string): void {
    if (connected !== this.connected) {
      this.since = Date.now();
      if (!connected) this.logger.warn({ err: error }, 'relay registration lost');
    }
    this.connected = connected;
    if (connected) this.lastError.succeed();
    else if (error !== undefined) this.lastError.fail(error);
  }
}

function checkMs(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 3_600_000) throw new InvalidInputError('relay', `${what} must be 1..3600000 ms`);
  return value;
}

/** Waits `ms`; resolves false (early) if `signal` or `wake` aborts. */
function sleep(ms: number, signal: AbortSignal, wake?: AbortSignal): Promise<boolean> {
  if (signal.aborted || wake?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (slept: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      wake?.removeEventListener('abort', onAbort);
      resolve(slept);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
    wake?.addEventListener('abort', onAbort, { once: true });
  });
}
