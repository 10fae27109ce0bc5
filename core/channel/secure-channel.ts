import type { Logger } from '../logger.js';
import type { AttributeStore } from '../credential/attribute-store.js';
import type { Identity } from '../identity/identity.js';
import type { Node } from '../node/node.js';
import type { WorkerContext } from '../node/worker.js';
import { allowAll } from '../node/access-control.js';
import { local, type Address } from '../routing/address.js';
import type { Message, MessageOrigin, PeerInfo, Route } from '../routing/message.js';
import { decodeMessage, encodeMessage, encodeMessageHeader } from '../routing/message-codec.js';
import {
  CHANNEL_CLOSE, CHANNEL_CREDENTIAL, CHANNEL_FEATURES, CHANNEL_PASSED, CHANNEL_PAYLOAD, CHANNEL_PING, CHANNEL_PONG, CHANNEL_READY,
  CHANNEL_SWITCH, FEATURE_PASS_THROUGH, LANE_DIRECT, LANE_RELAY, controlPlaintext,
} from './channel-wire.js';
import { isNestedFrame, markNestedFrame, takeHeadroom } from './nested-frames.js';
import { isPassThroughFrame, MIN_INNER_FRAME } from './noise/pass-through-frame.js';
import { PathLanes } from './path-lanes.js';
import type { ChannelLane } from './path-lanes.js';
import { ChannelWorker } from './channel-worker.js';
import { decodeCredentialUpdate, encodeCredentialUpdate } from './handshake-payload.js';
import { NoiseReplayError } from './noise/noise-errors.js';
import type { TransportState } from './noise/transport-state.js';
import { acceptCredentials } from './peer-verification.js';
import { encryptorAccessControl, ReplyHops } from './reply-hops.js';
import type { SecureChannelOptions } from './secure-channel-options.js';
import type { SecureChannelRegistry } from './secure-channel-registry.js';
import { ChannelLiveness } from './channel-liveness.js';

/** Counters of one channel; they only grow. */
export interface SecureChannelStats {
  /** Frames that decrypted. */
  framesIn: number;
  /** Frames sent. */
  framesOut: number;
  /** Frames that failed to authenticate (forged, corrupted, truncated): dropped. */
  forged: number;
  /** Frames refused by the replay window: dropped. */
  replayed: number;
  /** Authentic frames whose content did not decode: dropped. */
  malformed: number;
  /** Credential updates received. */
  credentialUpdates: number;
  /** Times this side moved its sending onto the direct lane, and back to the relay lane. */
  switchesToDirect: number;
  switchesToRelay: number;
  /** Pass-through frames received (authentic) and sent: nested frames carried with only their header sealed. */
  passThroughIn: number;
  passThroughOut: number;
}

/** Everything a channel is built from (by the initiator or a responder). */
export interface SecureChannelInit {
  readonly node: Node;
  readonly registry: SecureChannelRegistry;
  readonly role: 'initiator' | 'responder';
  readonly address: string;
  readonly decryptorAddress: string;
  readonly decryptor: ChannelWorker;
  readonly route: Route;
  readonly transport: TransportState;
  readonly peerIdentity: Identity;
  readonly attributeStore: AttributeStore;
  readonly options: SecureChannelOptions;
  readonly clock: () => number;
  readonly logger: Logger;
}

/**
 * An established secure channel: an encryptor worker at `address` (send a message to
 * `[address, ...rest]` and it reaches `rest` on the peer's node, authenticated) and a
 * decryptor worker at `decryptorAddress` (where the peer's frames arrive). Closing it,
 * locally, by the peer, or because what it runs over died, removes both workers and
 * drops the transport keys.
 */
export class SecureChannel {
  /** The encryptor's local address (what `/secure/<name>` routes name). */
  readonly address: string;
  /** The decryptor's local address (the peer sends frames here). */
  readonly decryptorAddress: string;
  /** The route to the peer's decryptor. */
  readonly route: Route;
  readonly role: 'initiator' | 'responder';
  /** The peer's verified identity. */
  readonly peerIdentity: Identity;
  /** Milliseconds since the epoch. */
  readonly createdAt = Date.now();
  readonly stats: SecureChannelStats = {
    framesIn: 0, framesOut: 0, forged: 0, replayed: 0, malformed: 0, credentialUpdates: 0, switchesToDirect: 0, switchesToRelay: 0,
    passThroughIn: 0, passThroughOut: 0,
  };
  /** Where the peer may send frames of the direct lane, once {@link openDirectLane} ran. */
  readonly directDecryptorAddress: string;
  /** Time (ms) a frame last decrypted. */
  lastReceivedAt = Date.now();
  private readonly init: SecureChannelInit;
  private readonly replyHops = new ReplyHops();
  private readonly closedListeners = new Set<(reason: string) => void>();
  private readonly encryptor: ChannelWorker;
  private readonly liveness: ChannelLiveness;
  private readonly selfHop: Address;
  private readonly decryptorHop: Address;
  private transport: TransportState | null;
  private origin: MessageOrigin | null = null;
  private readyWaiter: (() => void) | null = null;
  private closeReason: string | null = null;
  /** Where frames go now: the channel's route, or a direct path to the peer's direct decryptor. */
  private sendRoute: Route;
  private sendLane: ChannelLane = 'relay';
  private readonly lanes = new PathLanes();
  private directWorker: ChannelWorker | null = null;
  /** Nonce of the last frame that decrypted (frames carry it in their first 8 bytes). */
  private lastNonce = -1;
  /** After the direct lane died: the nonce the next delivered frame must have, else frames were lost. */
  private gapCheck: number | null = null;
  /** This side offers (and so accepts) pass-through frames. */
  private readonly acceptsPassThrough: boolean;
  /** The peer said it accepts pass-through frames: nested frames go out with only their header sealed. */
  private peerAcceptsPassThrough = false;

  /** @internal built by the handshake drivers. */
  constructor(init: SecureChannelInit) {
    this.init = init;
    this.address = init.address;
    this.decryptorAddress = init.decryptorAddress;
    this.route = init.route;
    this.sendRoute = init.route;
    this.directDecryptorAddress = `${init.decryptorAddress}-direct`;
    this.role = init.role;
    this.peerIdentity = init.peerIdentity;
    this.transport = init.transport;
    this.selfHop = local(init.address);
    this.decryptorHop = local(init.decryptorAddress);
    this.acceptsPassThrough = init.options.passThrough ?? true;
    this.encryptor = new ChannelWorker((ctx, message) => this.encryptMessage(ctx, message));
    this.liveness = new ChannelLiveness(this, init.options, init.registry);
  }

  /** The peer as messages from it are stamped now (attributes current at this moment). */
  get peer(): PeerInfo {
    return this.currentOrigin().peer!;
  }

  /** True once the channel closed. */
  get isClosed(): boolean {
    return this.closeReason !== null;
  }

  /** Why the channel closed, or undefined while open. */
  get closedReason(): string | undefined {
    return this.closeReason ?? undefined;
  }

  /** The lane this side sends on now: `relay` (the channel's route) or `direct`. */
  get path(): ChannelLane {
    return this.sendLane;
  }

  /** True once both sides offered pass-through frames: this side sends nested frames with only their header sealed. */
  get passThrough(): boolean {
    return this.peerAcceptsPassThrough;
  }

  /** The lane this side delivers frames from now. */
  get receivingPath(): ChannelLane {
    return this.lanes.active;
  }

  /** The peer's direct decryptor: its decryptor's address (the last hop of the channel's route) with `-direct`. */
  get peerDirectDecryptor(): Address {
    return local(`${this.route[this.route.length - 1]!.value}-direct`);
  }

  /** Starts the direct lane's decryptor, so the peer may send frames to it. Idempotent. */
  async openDirectLane(): Promise<void> {
    if (this.directWorker !== null || this.isClosed) return;
    const worker = new ChannelWorker((ctx, message) => this.receive(ctx, message, 'direct'));
    this.directWorker = worker;
    await this.init.node.startWorker(this.directDecryptorAddress, worker, { incoming: allowAll });
  }

  /**
   * Sends from now on along `route`, a direct path ending at the peer's direct decryptor:
   * one SWITCH frame goes last along the current route, every later frame along `route`.
   * False when the channel is closed or already sends directly.
   */
  useDirect(route: Route): boolean {
    if (this.isClosed || this.sendLane === 'direct') return false;
    this.sendPlaintext(Uint8Array.of(CHANNEL_SWITCH, LANE_DIRECT));
    this.sendRoute = route;
    this.sendLane = 'direct';
    this.stats.switchesToDirect++;
    this.lanes.clearResend();
    return true;
  }

  /**
   * Sends along the channel's own route again. When the direct path still works (`lost`
   * false) a SWITCH frame goes last along it. When it died (`lost`), no SWITCH can arrive:
   * the last frames sent on it are sent again first along the relay route (the peer drops
   * those it already has), and the peer starts delivering from the relay lane when it sees
   * the direct path dead too ({@link directLost}).
   */
  useRelay({ lost }: { lost: boolean }): void {
    if (this.isClosed || this.sendLane === 'relay') return;
    if (!lost) this.sendPlaintext(Uint8Array.of(CHANNEL_SWITCH, LANE_RELAY));
    this.sendRoute = this.init.route;
    this.sendLane = 'relay';
    this.stats.switchesToRelay++;
    const resend = this.lanes.takeResend();
    const ctx = this.encryptor.context ?? this.init.decryptor.context;
    if (!lost || ctx === null) return;
    for (const frame of resend) ctx.send(this.sendRoute, frame, [this.decryptorHop]);
  }

  /** The direct path died as seen from here: deliver from the relay lane from now on (no SWITCH can come). */
  directLost(): void {
    if (this.lanes.active !== 'direct') return;
    this.gapCheck = this.lastNonce + 1;
    this.flip('relay');
  }

  /** True once the transport keys were dropped (after close). */
  get keysErased(): boolean {
    return this.transport === null;
  }

  /** @internal starts the encryptor and takes over the decryptor; `awaitReady` resolves on the first authentic frame. */
  async start(): Promise<void> {
    const { node, decryptor, options } = this.init;
    decryptor.handler = (ctx, message) => this.receive(ctx, message, 'relay');
    decryptor.onShutdown = () => this.teardown('decryptor stopped');
    this.encryptor.onShutdown = () => this.teardown('encryptor stopped');
    await node.startWorker(this.address, this.encryptor, {
      incoming: options.encryptorIncoming ?? encryptorAccessControl(this.replyHops), outgoing: allowAll,
    });
  }

  /** @internal resolves when the peer's first authentic frame (READY) arrives. */
  awaitReady(): Promise<void> {
    return new Promise((resolve) => {
      this.readyWaiter = resolve;
    });
  }

  /** @internal marks the channel open: registry, liveness; tells the peer which frames this side accepts. */
  opened(): void {
    this.init.registry.add(this);
    this.liveness.start();
    if (this.acceptsPassThrough) this.sendPlaintext(Uint8Array.of(CHANNEL_FEATURES, FEATURE_PASS_THROUGH));
  }

  /** @internal the responder's confirmation that the initiator was authorized. */
  sendReady(): void {
    this.sendPlaintext(controlPlaintext(CHANNEL_READY));
  }

  /** Pushes the current credential (from the credential provider) to the peer; false when there is none or the channel is closed. */
  presentCredential(): boolean {
    const credential = this.init.options.credentials?.();
    if (!credential || this.isClosed) return false;
    const body = encodeCredentialUpdate([credential]);
    const plaintext = new Uint8Array(1 + body.length);
    plaintext[0] = CHANNEL_CREDENTIAL;
    plaintext.set(body, 1);
    return this.sendPlaintext(plaintext);
  }

  /** @internal sends a keep-alive probe. */
  ping(): void {
    this.sendPlaintext(controlPlaintext(CHANNEL_PING));
  }

  /** Calls `listener` once the channel closed, with the reason. Returns an unsubscribe function. */
  onClosed(listener: (reason: string) => void): () => void {
    if (this.closeReason !== null) {
      listener(this.closeReason);
      return () => undefined;
    }
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  /** Tells the peer (best effort), then removes both workers and drops the keys. Idempotent. */
  async close(_options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.isClosed) return;
    this.sendPlaintext(controlPlaintext(CHANNEL_CLOSE));
    await this.teardown('closed locally');
  }

  /**
   * @internal Tears the channel down for `reason` after telling the peer (best effort): a
   * peer that was only frozen, or whose messages were held up, learns that the channel is
   * gone as soon as it reads again, instead of waiting for its own keep-alive timeout.
   */
  abandon(reason: string): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.sendPlaintext(controlPlaintext(CHANNEL_CLOSE));
    return this.teardown(reason);
  }

  /**
   * @internal Drops keys and secrets, stops both workers, leaves the registry, tells
   * listeners. Idempotent; safe from inside the channel's own workers.
   */
  teardown(reason: string): Promise<void> {
    if (this.closeReason !== null) return Promise.resolve();
    this.closeReason = reason;
    this.transport?.close();
    this.transport = null;
    this.origin = null;
    this.replyHops.clear();
    this.lanes.clear();
    this.readyWaiter = null;
    this.liveness.stop();
    this.init.registry.remove(this);
    const { node, logger } = this.init;
    logger.info({ channel: this.address, peer: this.peerIdentity.identifier, reason }, 'secure channel closed');
    const stops: Array<Promise<void>> = [];
    for (const address of [this.address, this.decryptorAddress, ...(this.directWorker ? [this.directDecryptorAddress] : [])]) {
      if (node.hasWorker(address)) stops.push(node.stopWorker(address).catch(() => undefined));
    }
    for (const listener of [...this.closedListeners]) {
      try {
        listener(reason);
      } catch (error) {
        logger.error({ err: error }, 'secure channel onClosed listener failed');
      }
    }
    this.closedListeners.clear();
    return Promise.all(stops).then(() => undefined);
  }

  /** Encryptor: `[encryptor, ...rest]` -> one frame with inner onward `rest` to the peer. */
  private encryptMessage(_ctx: WorkerContext, message: Message): void {
    if (message.onwardRoute.length < 2) {
      this.stats.malformed++;
      this.init.node.reportDropped(message, `nothing to route after channel ${this.address}`);
      return;
    }
    if (this.peerAcceptsPassThrough && message.payload.length >= MIN_INNER_FRAME && isNestedFrame(message.payload)) return this.passThroughMessage(message);
    // Plaintext = type byte || message header || payload. A large payload is encrypted
    // after the header instead of being copied behind it first; a small one is joined
    // (one cipher call is cheaper than a copy of a few bytes).
    const separate = message.payload.length >= SEPARATE_PAYLOAD_BYTES;
    let head: Uint8Array;
    try {
      const options = { headroom: 1, dropFirstHop: true };
      head = separate ? encodeMessageHeader(message, options) : encodeMessage(message, options);
    } catch (error) {
      this.init.node.reportDropped(message, `cannot encode for channel: ${(error as Error).message}`);
      return;
    }
    head[0] = CHANNEL_PAYLOAD;
    if (!this.sendPlaintext(head, separate ? message.payload : undefined)) {
      this.init.node.reportDropped(message, `channel ${this.address} is closed`);
    }
  }

  /**
   * Encryptor, pass-through: `message.payload` is a nested channel's frame. Only the type
   * byte and the routes are sealed, bound to the frame's length, nonce and tag; the frame
   * itself travels as it is (its own channel authenticates it end to end).
   */
  private passThroughMessage(message: Message): void {
    const transport = this.transport;
    const ctx = this.encryptor.context ?? this.init.decryptor.context;
    if (transport === null || ctx === null) {
      this.init.node.reportDropped(message, `channel ${this.address} is closed`);
      return;
    }
    let frame: Buffer;
    try {
      const head = encodeMessage({ onwardRoute: message.onwardRoute, returnRoute: message.returnRoute, payload: EMPTY }, { headroom: 1, dropFirstHop: true });
      head[0] = CHANNEL_PASSED;
      frame = transport.encryptPassThrough(head, message.payload, takeHeadroom(message.payload));
    } catch (error) {
      this.init.node.reportDropped(message, `cannot encode for channel: ${(error as Error).message}`);
      return;
    }
    this.stats.framesOut++;
    this.stats.passThroughOut++;
    this.emit(ctx, frame);
  }

  private sendPlaintext(plaintext: Uint8Array, tail?: Uint8Array): boolean {
    const transport = this.transport;
    const ctx = this.encryptor.context ?? this.init.decryptor.context;
    if (transport === null || ctx === null) return false;
    // A large frame gets headroom: a channel that passes it through writes its header there.
    const headroom = tail !== undefined ? PASS_THROUGH_HEADROOM : 0;
    const frame = transport.encrypt(plaintext, tail, headroom);
    this.stats.framesOut++;
    markNestedFrame(frame, headroom);
    this.emit(ctx, frame);
    return true;
  }

  /** Sends one frame along the current lane. */
  private emit(ctx: WorkerContext, frame: Buffer): void {
    ctx.send(this.sendRoute, frame, [this.decryptorHop]);
    if (this.sendLane === 'direct') this.lanes.sentDirect(frame);
  }

  /** A frame arrived on `lane`: decrypted now when that lane is the active one, else held until it is. */
  private receive(ctx: WorkerContext, message: Message, lane: ChannelLane): void {
    if (lane === this.lanes.active) {
      this.decryptFrame(ctx, message);
      return;
    }
    if (this.transport === null) return;
    // The peer is alive (it sends); what it sent waits for the SWITCH still on its way.
    this.lastReceivedAt = Date.now();
    if (!this.lanes.hold(message)) this.flip(lane);
  }

  /** Makes `lane` the one frames are delivered from, then delivers what was held for it, in arrival order. */
  private flip(lane: ChannelLane): void {
    const ctx = this.init.decryptor.context ?? this.directWorker?.context ?? null;
    const frames = this.lanes.activate(lane);
    if (ctx === null) return;
    for (let i = 0; i < frames.length; i++) {
      if (this.lanes.active !== lane) {
        // A SWITCH among them moved back: the rest waits again.
        for (let j = i; j < frames.length; j++) this.lanes.hold(frames[j]!);
        return;
      }
      this.decryptFrame(ctx, frames[i]!);
    }
  }

  /** Decryptor: one frame in; dropped and counted unless it authenticates and decodes. */
  private decryptFrame(ctx: WorkerContext, message: Message): void {
    const transport = this.transport;
    if (transport === null) return;
    const frame = message.payload;
    let plaintext: Uint8Array;
    let inner: Uint8Array | null = null;
    try {
      if (!isPassThroughFrame(frame)) plaintext = transport.decrypt(frame);
      else if (!this.acceptsPassThrough) throw new Error('pass-through frame not offered');
      else ({ header: plaintext, inner } = transport.decryptPassThrough(frame));
    } catch (error) {
      if (error instanceof NoiseReplayError) this.stats.replayed++;
      else if (this.routeClosed(message)) return;
      else this.stats.forged++;
      this.init.logger.debug({ channel: this.address, reason: (error as Error).message }, 'secure channel frame dropped');
      return;
    }
    this.stats.framesIn++;
    this.lastReceivedAt = Date.now();
    let nonce = frame[1]! & 0x1f;
    for (let i = 2; i < 8; i++) nonce = nonce * 256 + frame[i]!;
    if (this.gapCheck !== null) {
      // The first frame after the direct lane died must continue where it stopped: the
      // sender's resend did not reach back far enough otherwise, and a hole in the stream is
      // worse than a closed channel (its portal sessions reset).
      const expected = this.gapCheck;
      this.gapCheck = null;
      if (nonce > expected) {
        void this.teardown(`frames lost with the direct path (next frame ${nonce}, expected ${expected})`);
        return;
      }
    }
    this.lastNonce = nonce;
    if (this.readyWaiter !== null) {
      const ready = this.readyWaiter;
      this.readyWaiter = null;
      ready();
    }
    if (inner !== null) {
      this.stats.passThroughIn++;
      if (plaintext[0] === CHANNEL_PASSED) return this.deliver(ctx, plaintext, inner);
      this.stats.malformed++;
      return;
    }
    switch (plaintext[0]) {
      case CHANNEL_PAYLOAD: return this.deliver(ctx, plaintext, null);
      case CHANNEL_READY: return;
      case CHANNEL_PING: this.sendPlaintext(controlPlaintext(CHANNEL_PONG)); return;
      case CHANNEL_PONG: return;
      case CHANNEL_CREDENTIAL: return this.updateCredentials(plaintext);
      case CHANNEL_CLOSE: void this.teardown('closed by peer'); return;
      case CHANNEL_FEATURES:
        // Only between two sides that both offered them (an older peer never sends them either).
        if (this.acceptsPassThrough && plaintext.length >= 2 && (plaintext[1]! & FEATURE_PASS_THROUGH) !== 0) this.peerAcceptsPassThrough = true;
        return;
      case CHANNEL_SWITCH: {
        const lane: ChannelLane = plaintext[1] === LANE_DIRECT ? 'direct' : 'relay';
        if (lane !== this.lanes.active) this.flip(lane);
        return;
      }
      default:
        this.stats.malformed++;
    }
  }

  /** True when `message` is a hop's notice that the route is dead (`options.routeError`); the channel then closes. */
  private routeClosed(message: Message): boolean {
    let error: Error | undefined;
    try {
      error = this.init.options.routeError?.(message);
    } catch {
      error = undefined;
    }
    if (error === undefined) return false;
    void this.teardown(error.message);
    return true;
  }

  /**
   * Routes the message of a payload plaintext on; for a pass-through frame (`nestedFrame`
   * set) the decoded header carries an empty payload and the message's payload is the
   * nested frame, marked so that a channel onward may pass it through again.
   */
  private deliver(ctx: WorkerContext, plaintext: Uint8Array, nestedFrame: Uint8Array | null): void {
    let inner: Message;
    try {
      inner = decodeMessage(plaintext.subarray(1));
    } catch (error) {
      this.stats.malformed++;
      this.init.node.reportMalformed(this.decryptorAddress, error);
      return;
    }
    if (inner.onwardRoute.length === 0 || (nestedFrame !== null && inner.payload.length !== 0)) {
      this.stats.malformed++;
      return;
    }
    let payload = inner.payload;
    if (nestedFrame !== null) {
      markNestedFrame(nestedFrame);
      payload = nestedFrame;
    }
    const back = inner.returnRoute[0];
    if (back !== undefined) this.replyHops.record(back);
    ctx.forward({
      onwardRoute: inner.onwardRoute,
      returnRoute: [this.selfHop, ...inner.returnRoute],
      payload,
      origin: this.currentOrigin(),
    });
  }

  private updateCredentials(plaintext: Uint8Array): void {
    this.stats.credentialUpdates++;
    const { logger, attributeStore, options, clock } = this.init;
    try {
      const credentials = decodeCredentialUpdate(plaintext.subarray(1));
      acceptCredentials(credentials, this.peerIdentity.identifier, {
        now: clock(), trustedAuthorities: options.trustedAuthorities ?? new Map(), attributeStore, logger,
      });
    } catch (error) {
      this.stats.malformed++;
      logger.info({ channel: this.address, reason: (error as Error).message }, 'credential update refused');
    }
  }

  /** The origin stamped on delivered messages; rebuilt only when the peer's attributes changed. */
  private currentOrigin(): MessageOrigin {
    const { attributes, authority } = this.init.attributeStore.peerAttributes(this.peerIdentity.identifier);
    const cached = this.origin?.peer;
    if (cached && cached.authority === authority && (cached.attributes === attributes || authority === undefined)) return this.origin!;
    const peer: PeerInfo = {
      identifier: this.peerIdentity.identifier,
      attributes: authority === undefined ? NO_ATTRIBUTES : attributes,
      ...(authority === undefined ? {} : { authority }),
      channel: this.address,
    };
    const origin: MessageOrigin = { via: 'channel', peer };
    if (this.closeReason === null) this.origin = origin;
    return origin;
  }
}

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY = new Uint8Array(0);
/** Payloads from this size on are encrypted after their header rather than copied behind it. */
const SEPARATE_PAYLOAD_BYTES = 2048;
/**
 * Spare bytes allocated in front of a large frame, for the sealed part of a pass-through
 * frame around it (10 + header + 16 bytes; a header with a few hops of channel and relay
 * addresses is 60-120 bytes). A header that does not fit makes the channel copy the frame.
 */
const PASS_THROUGH_HEADROOM = 192;
