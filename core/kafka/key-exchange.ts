import type { Message } from '../routing/message.js';
import type { Node } from '../node/node.js';
import type { Route } from '../routing/message.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import type { PeerInfo } from '../routing/message.js';
import type { Logger } from '../logger.js';
import type { DataKey } from './record-cipher.js';
import { KEY_REFUSED, type KeyAnswer } from './key-answer.js';

/** The worker address of a node's data key service. */
export const KEY_SERVICE_ADDRESS = 'kafka_keys';
const VERSION = 1;
const OK = 0;
const REFUSED = 1;

/** Encodes a key request: version, 16-byte key id. */
export function encodeKeyRequest(id: string): Buffer {
  return Buffer.concat([Buffer.of(VERSION), Buffer.from(id, 'hex')]);
}

/**
 * The data key service of a producer's node: answers a request for a key id with the key,
 * only over a secure channel (the reply goes back through it, encrypted) and only when
 * `authorize(peer, key)` allows it (a `kafka-consume` decision on the key's topic).
 * Unknown, expired and refused ids get the same one-byte refusal: the peer learns nothing.
 */
export class KeyServiceWorker implements Worker {
  constructor(
    private readonly lookup: (id: string) => DataKey | undefined,
    private readonly authorize: (peer: PeerInfo, key: DataKey) => boolean | Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  async handleMessage(ctx: WorkerContext, message: Message): Promise<void> {
    if (message.returnRoute.length === 0) return;
    const peer = message.origin?.via === 'channel' ? message.origin.peer : undefined;
    const p = message.payload;
    const refuse = (): void => ctx.send(message.returnRoute, Buffer.of(VERSION, REFUSED));
    if (peer === undefined || p.length !== 17 || p[0] !== VERSION) return refuse();
    const id = Buffer.from(p.subarray(1)).toString('hex');
    const key = this.lookup(id);
    if (key === undefined || !(await this.authorize(peer, key))) {
      this.logger.info({ keyId: id, topic: key?.topic, peer: peer.identifier }, 'kafka data key refused');
      return refuse();
    }
    ctx.send(message.returnRoute, Buffer.concat([Buffer.of(VERSION, OK), key.secret]));
  }
}

/** Options of {@link KeyClient}. */
export interface KeyClientOptions {
  /** The route to the producer node's key service (ending at {@link KEY_SERVICE_ADDRESS}). */
  readonly route: (options: { signal: AbortSignal }) => Promise<Route>;
  /** Keys this node holds itself (records it produced). */
  readonly own?: (id: string) => DataKey | undefined;
  /** How long a refusal is remembered before asking again, in ms (default 10 000). */
  readonly refusalMs?: number;
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/**
 * A consumer node's side of the key exchange: resolves key ids to data keys, from the
 * node's own ring first, then from the producer node's key service over the inlet's secure
 * channel. Keys are cached for the node's life; refusals for `refusalMs`.
 */
export class KeyClient {
  private readonly cache = new Map<string, DataKey>();
  private readonly refused = new Map<string, number>();

  constructor(private readonly node: Node, private readonly options: KeyClientOptions) {}

  /**
   * Resolves `ids` (id -> topic) to keys, or to why there is none: `refused` (the producer's
   * node said no; remembered for `refusalMs`) or `unreachable` (no route, no channel, no
   * answer in time: asked again next time).
   */
  async keys(ids: ReadonlyMap<string, string>): Promise<ReadonlyMap<string, KeyAnswer>> {
    const out = new Map<string, KeyAnswer>();
    const missing: [string, string][] = [];
    const now = Date.now();
    for (const [id, topic] of ids) {
      const key = this.cache.get(id) ?? this.options.own?.(id);
      if (key !== undefined) out.set(id, key);
      else if ((this.refused.get(id) ?? 0) > now) out.set(id, KEY_REFUSED);
      else missing.push([id, topic]);
    }
    if (missing.length === 0) return out;
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    let route: Route;
    try {
      route = await this.options.route({ signal });
    } catch (error) {
      const why = `no route to its key service: ${(error as Error).message}`;
      this.options.logger.warn({ err: (error as Error).message }, 'kafka inlet cannot reach the producer node for data keys');
      for (const [id] of missing) out.set(id, { kind: 'unreachable', why });
      return out;
    }
    await Promise.all(missing.map(async ([id, topic]) => {
      try {
        const reply = await this.node.request(route, encodeKeyRequest(id), { timeoutMs: this.options.timeoutMs ?? 10_000 });
        const p = reply.payload;
        if (p.length === 34 && p[0] === VERSION && p[1] === OK) {
          const key: DataKey = { id, topic, secret: Buffer.from(p.subarray(2)), createdAt: Date.now() };
          this.cache.set(id, key);
          out.set(id, key);
          return;
        }
        this.refused.set(id, Date.now() + (this.options.refusalMs ?? 10_000));
        out.set(id, KEY_REFUSED);
        this.options.logger.warn({ keyId: id, topic }, 'the producer node refused a kafka data key: its policy does not let this node consume the topic, or it does not hold the key');
      } catch (error) {
        out.set(id, { kind: 'unreachable', why: `no answer from its key service: ${(error as Error).message}` });
        this.options.logger.warn({ keyId: id, err: (error as Error).message }, 'kafka data key request failed');
      }
    }));
    return out;
  }
}
