import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import type { PeerInfo } from '../routing/message.js';
import { AbortedError, IoError } from '../errors.js';
import { TcpInlet, type OutletRouteProvider } from '../portal/tcp-inlet.js';
import { formatHostPort, parseHostPort } from '../transport/host-port.js';
import type { Endpoint } from './broker-endpoints.js';
import { KafkaConnection, type KafkaConnectionHost, type KafkaInletCounters } from './kafka-connection.js';
import type { KeyAnswer } from './key-answer.js';
import type { DataKey } from './record-cipher.js';

/** Default bound on one Kafka frame the inlet reads (requests and responses): 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Which Kafka endpoint a portal session goes to: the bootstrap server, or one broker by id. */
export type KafkaTarget = 'bootstrap' | number;

/** Options of {@link KafkaInlet}. */
export interface KafkaInletOptions {
  /** Where clients connect first, `HOST:PORT` (port 0 picks one). Broker listeners bind on the same host. */
  readonly listen: string;
  /** The route to the outlet's worker for a target (`bootstrap` or a broker id). */
  readonly outlet: (target: KafkaTarget) => OutletRouteProvider;
  /** The inlet's policy on the outlet side's identity. */
  readonly authorizeOutlet: (peer: PeerInfo | undefined) => boolean | Promise<boolean>;
  /** Bound on one frame (default 64 MiB). */
  readonly maxFrameBytes?: number;
  /** Encryption of produced record values: the current data key of a topic. Absent: values pass as they are. */
  readonly keyFor?: (topic: string) => DataKey;
  /** With `keyFor`: encrypt only these top-level fields of JSON object values (other values whole). */
  readonly encryptedFields?: readonly string[];
  /** Decryption of fetched values: the data keys for ids (id -> topic). Absent: values pass as they are. */
  readonly keys?: (ids: ReadonlyMap<string, string>) => Promise<ReadonlyMap<string, KeyAnswer | undefined>>;
  readonly logger?: Logger;
}

/** One Kafka endpoint of the inlet: a client-facing listener and the portal inlet behind it. */
interface Front {
  readonly server: Server;
  readonly portal: TcpInlet;
  readonly address: string;
  readonly upstream: { host: string; port: number };
}

/** What `status()` reports. */
export interface KafkaInletStatus extends Readonly<KafkaInletCounters> {
  readonly listen: string;
  readonly running: boolean;
  /** Broker listeners created so far: broker id and local address. */
  readonly brokers: readonly { readonly id: number; readonly listen: string }[];
  /** Whether the bootstrap portal reached the outlet last time it tried. */
  readonly connected: boolean;
  readonly lastError?: string;
  readonly lastErrorAt?: number;
  /** Open client connections. */
  readonly sessions: number;
}

/**
 * A Kafka inlet: the address Kafka clients bootstrap from, plus one local listener per
 * broker id, created the first time a Metadata or FindCoordinator answer names that broker.
 * Each listener's connections go through a portal (a {@link TcpInlet} on a loopback port)
 * to the outlet's worker for that target; a {@link KafkaConnection} between the client and
 * the portal rewrites what must be rewritten. See docs/kafka.md.
 */
export class KafkaInlet {
  private readonly options: KafkaInletOptions;
  private readonly logger: Logger;
  private readonly counters: KafkaInletCounters = { connections: 0, requests: 0, malformed: 0, sealedRecords: 0, refusedProduce: 0, refusedPartitions: 0 };
  private readonly host: KafkaConnectionHost;
  private readonly brokers = new Map<number, Promise<Front>>();
  private readonly ready = new Map<number, Front>();
  private readonly connections = new Set<KafkaConnection>();
  private bootstrap: Front | undefined;
  private advertisedHost: string;
  private stopped = false;
  private lastError: string | undefined;
  private lastErrorAt: number | undefined;

  constructor(private readonly node: Node, options: KafkaInletOptions) {
    this.options = options;
    const { host } = parseHostPort(options.listen, { what: 'kafka inlet address', allowZero: true, origin: 'portal' });
    this.advertisedHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.logger = (options.logger ?? node.logger).child({ kafkaInlet: options.listen });
    this.host = {
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      logger: this.logger,
      counters: this.counters,
      endpoints: (ids) => this.endpoints(ids),
      ...(options.keyFor ? { keyFor: options.keyFor } : {}),
      ...(options.keys ? { keys: options.keys } : {}),
      ...(options.encryptedFields ? { encryptedFields: options.encryptedFields } : {}),
      problem: (why) => {
        this.lastError = why;
        this.lastErrorAt = Date.now();
      },
    };
  }

  /** Starts the bootstrap listener; resolves with its actual `HOST:PORT`. */
  async start(options: { signal?: AbortSignal } = {}): Promise<{ address: string }> {
    if (options.signal?.aborted) throw new AbortedError('portal');
    this.bootstrap = await this.front('bootstrap', this.options.listen);
    return { address: this.bootstrap.address };
  }

  /** Closes every listener and client connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.connections) c.close();
    this.connections.clear();
    const fronts = [this.bootstrap, ...this.ready.values()].filter((f): f is Front => f !== undefined);
    await Promise.all(fronts.map(async (f) => {
      await new Promise<void>((resolve) => f.server.close(() => resolve()));
      await f.portal.stop();
    }));
  }

  /** Listeners, counters and the last problem. */
  status(): KafkaInletStatus {
    const portal = this.bootstrap?.portal.status();
    return {
      ...this.counters,
      listen: this.bootstrap?.address ?? this.options.listen,
      running: this.bootstrap !== undefined && !this.stopped,
      brokers: [...this.ready.entries()].sort((a, b) => a[0] - b[0]).map(([id, f]) => ({ id, listen: f.address })),
      connected: portal?.connected ?? false,
      ...(this.lastError !== undefined ? { lastError: this.lastError, lastErrorAt: this.lastErrorAt! } : portal?.lastError !== undefined ? { lastError: portal.lastError, lastErrorAt: portal.lastErrorAt! } : {}),
      sessions: this.connections.size,
    };
  }

  private async endpoints(ids: readonly number[]): Promise<ReadonlyMap<number, Endpoint>> {
    const out = new Map<number, Endpoint>();
    for (const id of ids) {
      let front = this.brokers.get(id);
      if (front === undefined) {
        front = this.front(id, formatHostPort(this.advertisedHost, 0));
        this.brokers.set(id, front);
        front.then((f) => this.ready.set(id, f), () => this.brokers.delete(id));
      }
      const f = await front;
      out.set(id, { host: this.advertisedHost, port: parseHostPort(f.address, { what: 'listener', origin: 'portal' }).port });
    }
    return out;
  }

  /** A client-facing listener on `listen` and the portal inlet (loopback) it forwards to. */
  private async front(target: KafkaTarget, listen: string): Promise<Front> {
    if (this.stopped) throw new AbortedError('portal', 'the kafka inlet is stopping');
    const portal = new TcpInlet(this.node, {
      listen: '127.0.0.1:0', outlet: this.options.outlet(target), authorizeOutlet: this.options.authorizeOutlet, logger: this.logger,
    });
    const { address: portalAddress } = await portal.start();
    const upstream = parseHostPort(portalAddress, { what: 'portal inlet', origin: 'portal' });
    const { host, port } = parseHostPort(listen, { what: 'kafka inlet address', allowZero: true, origin: 'portal' });
    const server = createServer({ noDelay: true }, (socket) => this.onClient(socket, upstream));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error) => reject(new IoError('portal', `kafka inlet cannot listen on ${listen}: ${error.message}`, { cause: error })));
        server.listen({ host, port }, () => resolve());
      });
    } catch (error) {
      await portal.stop();
      throw error;
    }
    server.on('error', (error) => this.logger.warn({ err: error.message }, 'kafka inlet listener error'));
    const bound = server.address() as AddressInfo;
    const address = formatHostPort(bound.address, bound.port);
    if (target !== 'bootstrap') this.logger.info({ broker: target, listen: address }, 'kafka inlet listens for a broker');
    return { server, portal, address, upstream };
  }

  private onClient(client: Socket, upstream: { host: string; port: number }): void {
    if (this.stopped) {
      client.destroy();
      return;
    }
    const to = connect({ host: upstream.host, port: upstream.port, noDelay: true });
    const connection = new KafkaConnection(this.host, client, to);
    this.connections.add(connection);
    const forget = (): void => { this.connections.delete(connection); };
    client.once('close', forget);
  }
}
