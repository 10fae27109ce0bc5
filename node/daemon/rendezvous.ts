import { SecureChannelRegistry } from '../../core/channel/secure-channel-registry.js';
import { decodeStrict, encodeDeterministic } from '../../core/cbor.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Node } from '../../core/node/node.js';
import type { Worker, WorkerContext } from '../../core/node/worker.js';
import { LOCAL } from '../../core/routing/address.js';
import type { Message } from '../../core/routing/message.js';
import type { TransportSet } from '../../core/transport/transport-set.js';

/** Worker address of the rendezvous service on a project node. */
export const RENDEZVOUS_ADDRESS = 'rendezvous';

/** How long a member's public UDP address is given out after it last asked, in ms. */
export const RENDEZVOUS_TTL_MS = 60_000;

/** A rendezvous request: optionally, the member whose public UDP address the caller wants. */
export interface RendezvousRequest {
  readonly peer?: string;
}

/** The answer: the caller's public UDP address and the peer's, as this project node sees them (null: unknown). */
export interface RendezvousAnswer {
  readonly self: string | null;
  readonly peer: string | null;
}

/** Encodes a request (deterministic CBOR `{ v: 1, peer? }`). */
export function encodeRendezvousRequest(request: RendezvousRequest): Uint8Array {
  return encodeDeterministic({ v: 1, ...(request.peer === undefined ? {} : { peer: request.peer }) });
}

/** Decodes an answer; InvalidInputError for anything else. */
export function decodeRendezvousAnswer(bytes: Uint8Array): RendezvousAnswer {
  const value = decodeStrict<Record<string, unknown>>(bytes, 'node', 'rendezvous answer');
  const ok = (v: unknown): v is string | null => v === null || (typeof v === 'string' && v.length <= 300);
  if (typeof value !== 'object' || value === null || value.v !== 1 || !ok(value.self) || !ok(value.peer)) {
    throw new InvalidInputError('node', 'malformed rendezvous answer');
  }
  return { self: value.self, peer: value.peer };
}

/**
 * The rendezvous service of a project node (docs/transports.md, "Direct paths"): a member
 * asks it over a secure channel that runs on a UDP connection; the service records the
 * public address (IP and port) that connection comes from, which is the member's NAT
 * mapping as the project node sees it, and answers with it and with the address of the
 * member named in the request (when that member asked within RENDEZVOUS_TTL_MS). It learns
 * nothing else and keeps one address per member, in memory. Who may ask is the node's
 * access control on its address (members of the project only, see authority.ts).
 */
export class RendezvousService implements Worker {
  private readonly seen = new Map<string, { address: string; at: number }>();

  constructor(private readonly node: Node, private readonly transports: TransportSet) {}

  /** Members with a known address now. */
  get size(): number {
    return this.seen.size;
  }

  handleMessage(ctx: WorkerContext, message: Message): void {
    const peer = message.origin?.via === 'channel' ? message.origin.peer : undefined;
    if (peer === undefined) return;
    let request: Record<string, unknown>;
    try {
      request = decodeStrict<Record<string, unknown>>(message.payload, 'node', 'rendezvous request');
      if (typeof request !== 'object' || request === null || request.v !== 1 || (request.peer !== undefined && typeof request.peer !== 'string')) return;
    } catch {
      return;
    }
    const now = Date.now();
    const self = this.publicAddressOf(peer.channel);
    if (self !== null) this.seen.set(peer.identifier, { address: self, at: now });
    if (this.seen.size > 10_000) {
      for (const [identifier, entry] of this.seen) if (now - entry.at > RENDEZVOUS_TTL_MS) this.seen.delete(identifier);
    }
    const other = typeof request.peer === 'string' ? this.seen.get(request.peer) : undefined;
    const answer = { v: 1, self, peer: other !== undefined && now - other.at <= RENDEZVOUS_TTL_MS ? other.address : null };
    ctx.send(message.returnRoute, encodeDeterministic(answer));
  }

  /** `host:port` of the UDP connection the channel `channelAddress` runs on; null when it runs on anything else. */
  private publicAddressOf(channelAddress: string | undefined): string | null {
    if (channelAddress === undefined) return null;
    const channel = SecureChannelRegistry.of(this.node).get(channelAddress);
    const first = channel?.route[0];
    if (first === undefined || first.type !== LOCAL) return null;
    const connection = this.transports.connections().find((c) => c.workerAddress === first.value);
    return connection !== undefined && connection.transport === 'udp' ? connection.remote : null;
  }
}
