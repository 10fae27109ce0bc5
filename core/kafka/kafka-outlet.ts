import type { AccessControl } from '../node/access-control.js';
import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import { TcpOutlet, type TcpOutletStatus } from '../portal/tcp-outlet.js';
import { formatHostPort, parseHostPort } from '../transport/host-port.js';
import type { PeerInfo } from '../routing/message.js';
import { fetchBrokers } from './broker-directory.js';
import type { ProduceGuardCounters } from './produce-guard-connection.js';
import { ProduceGuard } from './produce-guard.js';

/** Options of {@link KafkaOutlet}. */
export interface KafkaOutletOptions {
  /** The Kafka bootstrap server, `HOST:PORT`. */
  readonly bootstrap: string;
  /** The worker address of the bootstrap outlet; broker `N` is at `ADDRESS_broker_N`. */
  readonly address: string;
  /** Who may open sessions (attached to every worker of this outlet). */
  readonly incoming: AccessControl;
  /** How often to ask the bootstrap server for its brokers, in ms (default 30 000). */
  readonly refreshMs?: number;
  /**
   * Whether `peer` may produce to `topic` (the `kafka-produce` decision; `peer` undefined for a
   * session not opened through a secure channel). When given, every session (bootstrap and
   * brokers) goes through a {@link ProduceGuard}; when absent, sessions are plain TCP.
   */
  readonly authorizeProduce?: (peer: PeerInfo | undefined, topic: string) => boolean;
  readonly logger?: Logger;
}

/** What `status()` reports. */
export interface KafkaOutletStatus {
  readonly address: string;
  readonly bootstrap: string;
  readonly running: boolean;
  /** The brokers the bootstrap server named, with the worker address that reaches each. */
  readonly brokers: readonly { readonly id: number; readonly target: string; readonly address: string; readonly sessions: number }[];
  readonly sessions: number;
  readonly lastError?: string;
  readonly lastErrorAt?: number;
  /** When the broker list was last read (ms since the epoch). */
  readonly refreshedAt?: number;
  /** Produce checks: partitions and whole requests refused by `kafka-produce`, connections closed as malformed. */
  readonly produce?: Readonly<ProduceGuardCounters>;
}

/** The worker address of broker `id` of the outlet at `address`. */
export function brokerOutletAddress(address: string, id: number): string {
  return `${address}_broker_${id}`;
}

/**
 * A Kafka outlet: a portal outlet to the bootstrap server at `address`, and one per broker
 * at `ADDRESS_broker_ID`, targeting the host and port the bootstrap server's Metadata
 * names for that broker. The broker list is read at start and every `refreshMs`; an inlet
 * names a broker by id only, so the outlet connects to the brokers of its cluster and
 * nowhere else.
 */
export class KafkaOutlet {
  private readonly logger: Logger;
  private bootstrapOutlet: TcpOutlet | undefined;
  private readonly brokers = new Map<number, TcpOutlet>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private running = false;
  private lastError: string | undefined;
  private lastErrorAt: number | undefined;
  private refreshedAt: number | undefined;
  private readonly guard: ProduceGuard | undefined;

  constructor(private readonly node: Node, private readonly options: KafkaOutletOptions) {
    parseHostPort(options.bootstrap, { what: 'kafka bootstrap server', origin: 'portal' });
    this.logger = (options.logger ?? node.logger).child({ kafkaOutlet: options.address });
    const authorize = options.authorizeProduce;
    if (authorize !== undefined) {
      this.guard = new ProduceGuard({
        authorize, logger: this.logger,
        problem: (why) => {
          this.lastError = why;
          this.lastErrorAt = Date.now();
        },
      });
    }
  }

  /** Starts the bootstrap outlet and reads the broker list once (a failure is kept as lastError and retried). */
  async start(): Promise<void> {
    await this.guard?.start();
    const outlet = new TcpOutlet(this.node, { target: this.options.bootstrap, address: this.options.address, incoming: this.options.incoming, logger: this.logger, ...this.connectOption() });
    try {
      await outlet.start();
    } catch (error) {
      await this.guard?.stop();
      throw error;
    }
    this.bootstrapOutlet = outlet;
    this.running = true;
    await this.refresh();
    this.timer = setInterval(() => { void this.refresh(); }, this.options.refreshMs ?? 30_000);
    this.timer.unref();
  }

  /** Stops every outlet of this Kafka outlet. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    await Promise.all([this.bootstrapOutlet, ...this.brokers.values()].map((o) => o?.stop()));
    this.brokers.clear();
    await this.guard?.stop();
  }

  /** The sessions' connect hook: through the produce check when there is one. */
  private connectOption(): { connect?: ProduceGuard['connect'] } {
    return this.guard !== undefined ? { connect: this.guard.connect } : {};
  }

  /** Reads the broker list now and adds, moves or removes broker outlets to match it. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    let found;
    try {
      found = await fetchBrokers(parseHostPort(this.options.bootstrap, { what: 'kafka bootstrap server', origin: 'portal' }));
    } catch (error) {
      this.lastError = `cannot read the broker list: ${(error as Error).message}`;
      this.lastErrorAt = Date.now();
      this.logger.warn({ err: (error as Error).message }, 'kafka outlet cannot read the broker list');
      return;
    }
    this.refreshedAt = Date.now();
    if (!this.running) return;
    for (const [id, outlet] of this.brokers) {
      const now = found.get(id);
      if (now !== undefined && formatHostPort(now.host, now.port) === outlet.target) continue;
      this.brokers.delete(id);
      await outlet.stop();
    }
    for (const [id, endpoint] of found) {
      if (this.brokers.has(id)) continue;
      const outlet = new TcpOutlet(this.node, {
        target: formatHostPort(endpoint.host, endpoint.port), address: brokerOutletAddress(this.options.address, id), incoming: this.options.incoming, logger: this.logger,
        ...this.connectOption(),
      });
      try {
        await outlet.start();
        this.brokers.set(id, outlet);
        this.logger.info({ broker: id, target: outlet.target }, 'kafka outlet reaches a broker');
      } catch (error) {
        this.lastError = `broker ${id}: ${(error as Error).message}`;
        this.lastErrorAt = Date.now();
      }
    }
  }

  /** Brokers, sessions and the last problem. */
  status(): KafkaOutletStatus {
    const all: TcpOutletStatus[] = [this.bootstrapOutlet, ...this.brokers.values()].filter((o): o is TcpOutlet => o !== undefined).map((o) => o.status());
    return {
      address: this.options.address,
      bootstrap: this.options.bootstrap,
      running: this.running,
      brokers: [...this.brokers.entries()].sort((a, b) => a[0] - b[0]).map(([id, o]) => ({ id, target: o.target, address: o.address, sessions: o.status().sessions })),
      sessions: all.reduce((n, s) => n + s.sessions, 0),
      ...(this.lastError !== undefined ? { lastError: this.lastError, lastErrorAt: this.lastErrorAt! } : {}),
      ...(this.refreshedAt !== undefined ? { refreshedAt: this.refreshedAt } : {}),
      ...(this.guard !== undefined ? { produce: { ...this.guard.counters } } : {}),
    };
  }
}
