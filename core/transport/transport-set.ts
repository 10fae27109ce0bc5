import { AlreadyExistsError, NotFoundError } from '../errors.js';
import type { Node } from '../node/node.js';
import type { AddressType } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import type { Transport, TransportConnectionInfo, TransportKind, TransportLimits } from './transport.js';

/** A connection snapshot together with the name of its transport. */
export interface TransportConnection extends TransportConnectionInfo {
  /** The transport's name, e.g. `tcp`. */
  readonly transport: string;
}

/**
 * The transports of one node, keyed by the route address type each serves. It answers
 * for all of them what channels and `node.info` ask: open connections, a closed signal
 * per connection and close events.
 */
export class TransportSet {
  private readonly byType = new Map<AddressType, Transport>();

  /** Creates one transport of each kind on `node`, with the same limits. */
  static create(node: Node, kinds: readonly TransportKind[], limits: TransportLimits = {}): TransportSet {
    const set = new TransportSet();
    for (const kind of kinds) set.add(kind.create(node, limits));
    return set;
  }

  /** Adds a transport; AlreadyExistsError when its address type is taken. */
  add(transport: Transport): void {
    if (this.byType.has(transport.addressType)) {
      throw new AlreadyExistsError('transport', `a transport for address type ${transport.addressType} is already there`);
    }
    this.byType.set(transport.addressType, transport);
  }

  /** The transport for `type`; NotFoundError when the node has none. */
  get(type: AddressType): Transport {
    const transport = this.byType.get(type);
    if (!transport) throw new NotFoundError('transport', `no transport for address type ${type}`);
    return transport;
  }

  /** Every transport, in the order added. */
  all(): Transport[] {
    return [...this.byType.values()];
  }

  /** Open connections of every transport. */
  connections(): TransportConnection[] {
    return this.all().flatMap((t) => t.connections().map((c) => ({ ...c, transport: t.name })));
  }

  /** The closed signal of the connection at `workerAddress`, whichever transport holds it. */
  closedSignal(workerAddress: string): AbortSignal | undefined {
    for (const transport of this.byType.values()) {
      const signal = transport.closedSignal(workerAddress);
      if (signal) return signal;
    }
    return undefined;
  }

  /** The source (remote IP address) of a message that arrived on a connection of any transport; undefined otherwise. */
  sourceOf(message: Message): string | undefined {
    for (const transport of this.byType.values()) {
      const source = transport.sourceOf?.(message);
      if (source !== undefined) return source;
    }
    return undefined;
  }

  /** Calls `listener` after a connection of any transport closed. Returns an unsubscribe function. */
  onClosed(listener: (info: TransportConnectionInfo) => void): () => void {
    const unsubscribes = this.all().map((t) => t.onClosed(listener));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  /** Stops every transport. */
  async stop(): Promise<void> {
    await Promise.all(this.all().map((t) => t.stop()));
  }
}
