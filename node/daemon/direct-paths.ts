import { randomBytes } from 'node:crypto';
import type { SecureChannel } from '../../core/channel/secure-channel.js';
import { SecureChannelRegistry } from '../../core/channel/secure-channel-registry.js';
import { decodeStrict, encodeDeterministic } from '../../core/cbor.js';
import { InvalidInputError, IoError } from '../../core/errors.js';
import { allowAll } from '../../core/node/access-control.js';
import type { Worker, WorkerContext } from '../../core/node/worker.js';
import { LOCAL, UDP, local, udp } from '../../core/routing/address.js';
import type { Message } from '../../core/routing/message.js';
import { UdpTransport } from '../../core/transport/udp-transport.js';
import type { ProjectRecord } from '../home/project-registry.js';
import { RENDEZVOUS_ADDRESS, decodeRendezvousAnswer, encodeRendezvousRequest } from './rendezvous.js';
import type { RendezvousAnswer } from './rendezvous.js';
import type { DaemonContext } from './service.js';
import { projectFor } from './services/node-channels.js';

/** Worker address of the direct-path service on every node. */
export const DIRECT_PATH_ADDRESS = 'direct-path';
/** Node configuration section: `{ "accept": false }` makes a node refuse direct paths offered to it. */
export const DIRECT_PATHS_SECTION = 'direct-paths';

/** Liveness probe period on a direct path, and the silence after which it counts as dead, in ms. */
export const DIRECT_PING_MS = 500;
export const DIRECT_DEAD_MS = 2_500;
/** How long both sides punch, and how long the connecting side tries to connect, in ms. */
export const PUNCH_MS = 10_000;

/** Which path an end-to-end channel's frames take, as `tcp-inlet show` and `status` report it. */
export interface DirectPathView {
  /** `direct` (UDP between the two nodes), `relay`, or `arranging` (rendezvous and punching under way). */
  readonly path: 'direct' | 'relay' | 'arranging';
  /** The peer's public UDP address, once the rendezvous told it. */
  readonly peerAddress?: string;
  /** Why the channel is on the relay (punching failed, the direct path died, refused). */
  readonly reason?: string;
  /** When the path last changed (ms since the epoch). */
  readonly since: number;
}

type Wire =
  | { t: 'offer'; token: Uint8Array }
  | { t: 'answer'; ok: boolean; reason?: string }
  | { t: 'probe' | 'probe-ack' | 'ping' | 'pong'; token: Uint8Array };

interface PathState {
  readonly channel: SecureChannel;
  readonly role: 'initiator' | 'responder';
  readonly token: string;
  path: DirectPathView['path'];
  peerAddress?: string;
  reason?: string;
  since: number;
  lastHeard: number;
  /** The responder's UDP connection worker the direct path runs on. */
  channelHop?: string;
  timer?: NodeJS.Timeout;
  readonly stop: AbortController;
}

const instances = new WeakMap<object, DirectPaths>();

function encode(value: Wire): Uint8Array {
  return encodeDeterministic(value);
}

function decode(bytes: Uint8Array): Wire {
  const value = decodeStrict<Record<string, unknown>>(bytes, 'node', 'direct-path message');
  if (typeof value !== 'object' || value === null || typeof value.t !== 'string') throw new InvalidInputError('node', 'malformed direct-path message');
  if (value.t === 'answer') {
    if (typeof value.ok !== 'boolean') throw new InvalidInputError('node', 'malformed direct-path answer');
    return { t: 'answer', ok: value.ok, ...(typeof value.reason === 'string' ? { reason: value.reason } : {}) };
  }
  if (!['offer', 'probe', 'probe-ack', 'ping', 'pong'].includes(value.t) || !(value.token instanceof Uint8Array) || value.token.length !== 16) {
    throw new InvalidInputError('node', 'malformed direct-path message');
  }
  return { t: value.t as 'probe', token: value.token };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Moves end-to-end channels onto direct UDP paths between two members (docs/transports.md,
 * "Direct paths"; wire in docs/protocols.md). The initiating node (an inlet with
 * `--direct`) asks the project node's rendezvous service, over a channel on UDP, for its
 * own public UDP address; offers a direct path to the peer through the end-to-end channel
 * itself (with a fresh 16-byte token, so only the peer can answer on the direct path); the
 * peer asks the rendezvous for the initiator's address (the rendezvous then knows the
 * peer's too) and punches toward it; the initiator learns the peer's address from the
 * rendezvous, punches and connects; a probe with the token, answered over the new
 * connection, proves the path; then each side moves its sending onto it
 * (`SecureChannel.useDirect`). Pings every DIRECT_PING_MS keep it checked; DIRECT_DEAD_MS of
 * silence, or the UDP connection closing, moves both sides back to the relay lane. Any
 * failure while arranging leaves the channel on the relay.
 */
export class DirectPaths implements Worker {
  private readonly byChannel = new Map<string, PathState>();
  private readonly byToken = new Map<string, PathState>();

  private constructor(private readonly ctx: DaemonContext) {}

  /** The node's direct-path manager (started with its worker on first use). */
  static async start(ctx: DaemonContext): Promise<DirectPaths> {
    const existing = instances.get(ctx.node);
    if (existing) return existing;
    const paths = new DirectPaths(ctx);
    instances.set(ctx.node, paths);
    // Offers arrive through channels, probes and pings from outside over UDP: every
    // message is checked here (channel peer, token, the UDP address it came from).
    await ctx.node.startWorker(DIRECT_PATH_ADDRESS, paths, { incoming: allowAll });
    SecureChannelRegistry.of(ctx.node).onClosed((info) => paths.forget(info.address));
    ctx.transports.onClosed((info) => {
      for (const state of paths.byChannel.values()) {
        if (state.path === 'direct' && (info.remote === state.peerAddress || info.workerAddress === state.channelHop)) paths.lost(state, 'its UDP connection closed');
      }
    });
    ctx.onStop(() => {
      for (const state of paths.byChannel.values()) paths.forget(state.channel.address);
    });
    return paths;
  }

  /** The manager of `ctx`'s node, if started. */
  static of(ctx: DaemonContext): DirectPaths | undefined {
    return instances.get(ctx.node);
  }

  /** The path of the end-to-end channel at `channelAddress`; undefined when no direct path was tried for it. */
  view(channelAddress: string): DirectPathView | undefined {
    const state = this.byChannel.get(channelAddress);
    if (state === undefined) return undefined;
    return {
      path: state.path, since: state.since,
      ...(state.peerAddress === undefined ? {} : { peerAddress: state.peerAddress }),
      ...(state.reason === undefined ? {} : { reason: state.reason }),
    };
  }

  /** Every channel with a direct path tried, by channel address. */
  list(): Array<{ channel: string; peer: string } & DirectPathView> {
    return [...this.byChannel.values()].map((s) => ({ channel: s.channel.address, peer: s.channel.peerIdentity.identifier, ...this.view(s.channel.address)! }));
  }

  /** Arranges a direct path for `channel` (an end-to-end channel through a relay of `project`), once per channel. */
  ensure(channel: SecureChannel, project: ProjectRecord): void {
    if (this.byChannel.has(channel.address) || channel.isClosed) return;
    const state = this.track(channel, 'initiator', randomBytes(16));
    this.initiate(state, project).catch((error: unknown) => {
      if (state.path !== 'arranging') return;
      this.toRelay(state, `no direct path: ${(error as Error).message}`);
      this.ctx.logger.info({ channel: channel.address, peer: channel.peerIdentity.identifier, reason: state.reason }, 'direct path not made; the channel stays on the relay');
    });
  }

  handleMessage(ctx: WorkerContext, message: Message): void {
    let wire: Wire;
    try {
      wire = decode(message.payload);
    } catch {
      return;
    }
    if (wire.t === 'offer') {
      this.onOffer(ctx, message, wire.token).catch((error: unknown) => {
        this.ctx.logger.debug({ err: (error as Error).message }, 'direct path offer failed');
      });
      return;
    }
    if (wire.t !== 'probe' && wire.t !== 'ping') return;
    const state = this.byToken.get(hex(wire.token));
    if (state === undefined || state.role !== 'responder' || state.channel.isClosed) return;
    // Only over UDP, from the address the rendezvous gave for the peer.
    const first = message.returnRoute[0];
    const arrival = first?.type === LOCAL ? this.ctx.transports.connections().find((c) => c.workerAddress === first.value) : undefined;
    if (arrival === undefined || arrival.transport !== 'udp' || arrival.remote !== state.peerAddress) return;
    state.lastHeard = Date.now();
    ctx.send(message.returnRoute, encode({ t: wire.t === 'probe' ? 'probe-ack' : 'pong', token: wire.token }));
    if (wire.t === 'probe' && state.path !== 'direct') {
      state.channelHop = first!.value;
      if (state.channel.useDirect([local(first!.value), state.channel.peerDirectDecryptor])) this.toDirect(state);
    }
  }

  private track(channel: SecureChannel, role: PathState['role'], token: Uint8Array): PathState {
    const state: PathState = {
      channel, role, token: hex(token), path: 'arranging', since: Date.now(), lastHeard: Date.now(), stop: new AbortController(),
    };
    this.byChannel.set(channel.address, state);
    this.byToken.set(state.token, state);
    return state;
  }

  private async initiate(state: PathState, project: ProjectRecord): Promise<void> {
    const { node } = this.ctx;
    const signal = state.stop.signal;
    const transport = this.udp();
    const peer = state.channel.peerIdentity.identifier;
    const mine = await this.ask(project, undefined, signal);
    if (mine.self === null) throw new IoError('node', 'the project node does not see this node over UDP');
    await state.channel.openDirectLane();
    const token = Buffer.from(state.token, 'hex');
    const reply = decode((await node.request([local(state.channel.address), local(DIRECT_PATH_ADDRESS)], encode({ t: 'offer', token }), { timeoutMs: 15_000, signal })).payload);
    if (reply.t !== 'answer') throw new IoError('node', 'the peer answered the offer with something else');
    if (!reply.ok) throw new IoError('node', `the peer refused: ${reply.reason ?? 'no reason given'}`);
    const theirs = await this.ask(project, peer, signal);
    if (theirs.peer === null) throw new IoError('node', 'the rendezvous does not know the peer\'s UDP address');
    state.peerAddress = theirs.peer;
    // The peer punches toward this node since it answered; this side punches too while it connects.
    transport.punch(theirs.peer, { durationMs: PUNCH_MS, signal }).catch(() => undefined);
    await transport.connect(theirs.peer, { timeoutMs: PUNCH_MS, signal });
    const route = [udp(theirs.peer), local(DIRECT_PATH_ADDRESS)];
    let acked = false;
    for (let attempt = 0; attempt < 3 && !acked; attempt++) {
      try {
        const ack = decode((await node.request(route, encode({ t: 'probe', token }), { timeoutMs: 3_000, signal })).payload);
        acked = ack.t === 'probe-ack' && hex(ack.token) === state.token;
      } catch (error) {
        if (signal.aborted) throw error;
      }
    }
    if (!acked) throw new IoError('node', `the direct path to ${theirs.peer} did not answer`);
    if (state.channel.isClosed) return;
    if (state.channel.useDirect([udp(theirs.peer), state.channel.peerDirectDecryptor])) this.toDirect(state);
  }

  /** Answers an offer that came through an end-to-end channel (the responder side). */
  private async onOffer(ctx: WorkerContext, message: Message, token: Uint8Array): Promise<void> {
    const peer = message.origin?.via === 'channel' ? message.origin.peer : undefined;
    const channel = peer?.channel === undefined ? undefined : SecureChannelRegistry.of(this.ctx.node).get(peer.channel);
    if (peer === undefined || channel === undefined) return;
    const answer = (ok: boolean, reason?: string): void => ctx.send(message.returnRoute, encode({ t: 'answer', ok, ...(reason === undefined ? {} : { reason }) }));
    const section = this.ctx.config.section(DIRECT_PATHS_SECTION) as { accept?: unknown } | undefined;
    if (section?.accept === false) {
      answer(false, 'direct paths are turned off on this node');
      return;
    }
    const existing = this.byChannel.get(channel.address);
    if (existing !== undefined) this.forget(channel.address);
    const state = this.track(channel, 'responder', token);
    try {
      const theirs = await this.ask(projectFor(this.ctx), peer.identifier, state.stop.signal);
      if (theirs.self === null || theirs.peer === null) throw new IoError('node', 'the rendezvous does not know both UDP addresses');
      state.peerAddress = theirs.peer;
      await channel.openDirectLane();
      this.udp().punch(theirs.peer, { durationMs: PUNCH_MS, signal: state.stop.signal }).catch(() => undefined);
      // Waits for the probe; without one in time the channel stays on the relay.
      state.timer = setTimeout(() => {
        if (state.path === 'arranging') this.toRelay(state, 'no direct path: the peer\'s probe did not arrive');
      }, PUNCH_MS + 10_000);
      state.timer.unref();
      answer(true);
    } catch (error) {
      this.toRelay(state, `no direct path: ${(error as Error).message}`);
      answer(false, (error as Error).message);
    }
  }

  /** Asks the project node's rendezvous service, over the channel to the project on UDP. */
  private async ask(project: ProjectRecord, peer: string | undefined, signal: AbortSignal): Promise<RendezvousAnswer> {
    const channel = await this.ctx.channels.toProjectOverUdp(project, { signal });
    const reply = await this.ctx.node.request([local(channel.address), local(RENDEZVOUS_ADDRESS)], encodeRendezvousRequest(peer === undefined ? {} : { peer }), { timeoutMs: 10_000, signal });
    return decodeRendezvousAnswer(reply.payload);
  }

  private udp(): UdpTransport {
    const transport = this.ctx.transports.get(UDP);
    if (!(transport instanceof UdpTransport)) throw new IoError('node', 'this node has no UDP transport');
    return transport;
  }

  private toDirect(state: PathState): void {
    state.path = 'direct';
    state.reason = undefined;
    state.since = Date.now();
    state.lastHeard = Date.now();
    this.ctx.logger.info({ channel: state.channel.address, peer: state.channel.peerIdentity.identifier, address: state.peerAddress, role: state.role }, 'end-to-end channel moved onto a direct UDP path');
    clearTimeout(state.timer);
    state.timer = setInterval(() => this.check(state), DIRECT_PING_MS);
    state.timer.unref();
  }

  /** Every DIRECT_PING_MS: the initiator pings; either side gives up after DIRECT_DEAD_MS of silence. */
  private check(state: PathState): void {
    if (state.path !== 'direct') return;
    if (Date.now() - state.lastHeard > DIRECT_DEAD_MS) {
      this.lost(state, `nothing heard for ${DIRECT_DEAD_MS} ms`);
      return;
    }
    if (state.role !== 'initiator' || state.peerAddress === undefined) return;
    const token = Buffer.from(state.token, 'hex');
    this.ctx.node.request([udp(state.peerAddress), local(DIRECT_PATH_ADDRESS)], encode({ t: 'ping', token }), { timeoutMs: DIRECT_DEAD_MS, signal: state.stop.signal }).then(
      (reply) => {
        const pong = decode(reply.payload);
        if (pong.t === 'pong' && hex(pong.token) === state.token) state.lastHeard = Date.now();
      },
      () => undefined,
    );
  }

  /** The direct path died: both lanes back to the relay (frames it may have lost are sent again). */
  private lost(state: PathState, why: string): void {
    if (state.path !== 'direct') return;
    state.channel.useRelay({ lost: true });
    state.channel.directLost();
    this.toRelay(state, `direct path lost: ${why}`);
    this.ctx.logger.warn({ channel: state.channel.address, peer: state.channel.peerIdentity.identifier, reason: why }, 'direct path lost; the end-to-end channel is back on the relay');
  }

  private toRelay(state: PathState, reason: string): void {
    state.path = 'relay';
    state.reason = reason;
    state.since = Date.now();
    clearTimeout(state.timer);
    clearInterval(state.timer);
    state.stop.abort();
  }

  private forget(channelAddress: string): void {
    const state = this.byChannel.get(channelAddress);
    if (state === undefined) return;
    clearTimeout(state.timer);
    clearInterval(state.timer);
    state.stop.abort();
    this.byChannel.delete(channelAddress);
    if (this.byToken.get(state.token) === state) this.byToken.delete(state.token);
  }
}
