import { AbortedError } from '../errors.js';
import { allowAll } from '../node/access-control.js';
import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import type { WorkerContext } from '../node/worker.js';
import type { Message, Route } from '../routing/message.js';
import { formatRoute } from '../routing/route.js';
import { HANDSHAKE_MESSAGE_1, HANDSHAKE_MESSAGE_2, HANDSHAKE_MESSAGE_3, HANDSHAKE_REFUSED, REFUSAL, handshakeMessage } from './channel-wire.js';
import { ChannelWorker } from './channel-worker.js';
import { channelAddresses, handshakeContext, ownPayload, peerInfo, runAuthorize, type HandshakeContext } from './handshake-common.js';
import { TransportState } from './noise/transport-state.js';
import { XxInitiator, type XxInitiatorAwaitMessage2, type XxInitiatorSendMessage3 } from './noise/xx-initiator.js';
import type { Identity } from '../identity/identity.js';
import { HandshakeError, verifyPeer, type HandshakeStage } from './peer-verification.js';
import { SecureChannel } from './secure-channel.js';
import {
  checkTimeout, DEFAULT_HANDSHAKE_TIMEOUT_MS, localStaticKey, resolveSecureChannelKey, type SecureChannelKey, type SecureChannelOptions,
} from './secure-channel-options.js';

/**
 * Opens a secure channel to the listener at the end of `route` (e.g.
 * `[tcp('host:port'), local('api')]`, or `[local(otherChannel), tcp(..), local('api')]`
 * for a channel inside a channel). Sends handshake message 1 there; verifies the
 * responder's identity, key attestation and credentials; runs `options.authorize` on it
 * when given; sends message 3 and resolves once the responder confirms (it authorized us).
 * Rejects with HandshakeError naming the failed stage (timeout, refused-by-peer, ...),
 * or AbortedError. Nothing is left behind on failure.
 */
export async function createSecureChannel(node: Node, route: Route, options: SecureChannelOptions): Promise<SecureChannel> {
  const timeoutMs = checkTimeout(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
  if (options.signal?.aborted) throw new AbortedError('channel', 'secure channel creation aborted');
  const logger = initiatorLogger(node);
  const { address, decryptorAddress } = channelAddresses(node);
  const handshake = new InitiatorHandshake(node, route, options, handshakeContext(node, options, logger), address, decryptorAddress);
  return handshake.run(timeoutMs);
}

/** The initiator's logger of each node, made once (a child logger per handshake cost a few microseconds and objects). */
const initiatorLoggers = new WeakMap<Node, Logger>();

function initiatorLogger(node: Node): Logger {
  let logger = initiatorLoggers.get(node);
  if (logger === undefined) {
    logger = node.logger.child({ component: 'secure-channel', role: 'initiator' });
    initiatorLoggers.set(node, logger);
  }
  return logger;
}

class InitiatorHandshake {
  private stage: HandshakeStage = 'local-key';
  private step: XxInitiatorAwaitMessage2 | null = null;
  private channel: SecureChannel | null = null;
  private timer: NodeJS.Timeout | null = null;
  private settled = false;
  private key: SecureChannelKey | null = null;
  private readonly decryptor = new ChannelWorker(() => undefined);
  private resolve: (channel: SecureChannel) => void = () => undefined;
  private reject: (error: Error) => void = () => undefined;

  constructor(
    private readonly node: Node,
    private readonly route: Route,
    private readonly options: SecureChannelOptions,
    private readonly context: HandshakeContext,
    private readonly address: string,
    private readonly decryptorAddress: string,
  ) {}

  /**
   * Settles within `timeoutMs` whatever happens: the deadline is armed before anything is
   * awaited (a key source or vault that never answers fails the handshake at `local-key`).
   */
  run(timeoutMs: number): Promise<SecureChannel> {
    return new Promise<SecureChannel>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.timer = setTimeout(() => this.fail(new HandshakeError('timeout', `no answer within ${timeoutMs} ms (waiting for ${this.stage})`)), timeoutMs);
      this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
      this.begin().catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
    });
  }

  /** Resolves the local key, starts the decryptor and sends message 1. */
  private async begin(): Promise<void> {
    const key = await resolveSecureChannelKey(this.options.secureChannelKey);
    if (this.settled) return;
    this.key = key;
    await this.node.startWorker(this.decryptorAddress, this.decryptor, { incoming: allowAll });
    if (this.settled) {
      if (this.node.hasWorker(this.decryptorAddress)) await this.node.stopWorker(this.decryptorAddress);
      return;
    }
    this.stage = 'message-2';
    this.decryptor.onShutdown = () => this.fail(new HandshakeError('aborted', 'the node stopped the handshake'));
    try {
      const { send, next } = XxInitiator.start({ staticKey: localStaticKey(key) }).writeMessage1();
      this.step = next;
      this.decryptor.handler = (ctx, message) => this.onMessage2(ctx, message);
      this.decryptor.context!.send(this.route, handshakeMessage(HANDSHAKE_MESSAGE_1, send));
    } catch (error) {
      this.fail(new HandshakeError('message-1', (error as Error).message, { cause: error }));
    }
  }

  private readonly onAbort = (): void => this.fail(new AbortedError('channel', 'secure channel creation aborted'));

  /** The error `options.routeError` finds in `message` (a hop saying the route is dead), if any. */
  private routeError(message: Message): Error | undefined {
    try {
      return this.options.routeError?.(message);
    } catch {
      return undefined;
    }
  }

  private async onMessage2(ctx: WorkerContext, message: Message): Promise<void> {
    const kind = message.payload[0];
    if (this.settled || this.step === null) return;
    if (kind === HANDSHAKE_REFUSED) return this.fail(new HandshakeError('refused-by-peer', 'the responder refused the handshake'));
    if (kind !== HANDSHAKE_MESSAGE_2) {
      const routeError = this.routeError(message);
      if (routeError) return this.fail(routeError);
      this.context.logger.debug({ kind }, 'unexpected message while waiting for handshake message 2; dropped');
      return;
    }
    const step = this.step;
    this.step = null;
    const { node, options, context, address } = this;
    let next: XxInitiatorSendMessage3 | undefined;
    let peerIdentity: Identity;
    try {
      const read = step.readMessage2(message.payload.subarray(1));
      next = read.next;
      peerIdentity = verifyPeer(read.payload, read.remoteStaticKey, context.verification());
    } catch (error) {
      next?.abort();
      ctx.send(message.returnRoute, REFUSAL);
      return this.fail(error instanceof HandshakeError ? error : new HandshakeError('message-2', (error as Error).message, { cause: error }));
    }
    const identifier = peerIdentity.identifier;
    if (options.authorize) {
      this.stage = 'authorize';
      const peer = peerInfo(context.attributeStore, identifier, address);
      const allowed = await runAuthorize((p) => options.authorize!(p, {
        resource: { type: 'secure-channel', name: address, node: node.name }, role: 'initiator',
      }), peer, context.logger);
      if (this.settled) return next.abort();
      if (!allowed) {
        next.abort();
        ctx.send(message.returnRoute, REFUSAL);
        return this.fail(new HandshakeError('authorize', `responder ${identifier} is not authorized`));
      }
    }
    await this.finish(ctx, message, next, peerIdentity);
  }

  private async finish(ctx: WorkerContext, message: Message, next: XxInitiatorSendMessage3, peerIdentity: Identity): Promise<void> {
    const { node, options, context } = this;
    let transport: TransportState;
    let send: Uint8Array;
    try {
      const written = next.writeMessage3(ownPayload(options, this.key!));
      send = written.send;
      transport = new TransportState(written.next, options.transportOptions);
    } catch (error) {
      return this.fail(new HandshakeError('message-3', (error as Error).message, { cause: error }));
    }
    const channel = new SecureChannel({
      node, registry: context.registry, role: 'initiator', address: this.address, decryptorAddress: this.decryptorAddress,
      decryptor: this.decryptor, route: message.returnRoute, transport, peerIdentity,
      attributeStore: context.attributeStore, options, clock: context.clock, logger: context.logger,
    });
    this.channel = channel;
    try {
      await channel.start();
    } catch (error) {
      return this.fail(new HandshakeError('message-3', `cannot start the encryptor: ${(error as Error).message}`, { cause: error }));
    }
    if (this.settled) return;
    const unsubscribe = channel.onClosed((reason) => this.fail(new HandshakeError('aborted', `channel closed before it was confirmed: ${reason}`)));
    const frames = this.decryptor.handler;
    // Until READY, a generic refusal (one byte; a frame is at least 24) ends the handshake.
    this.decryptor.handler = (c, m) => {
      if (m.payload.length === 1 && m.payload[0] === HANDSHAKE_REFUSED) return this.fail(new HandshakeError('refused-by-peer', 'the responder refused the handshake'));
      return frames(c, m);
    };
    this.stage = 'ready';
    channel.awaitReady().then(() => {
      if (this.settled) return;
      unsubscribe();
      this.decryptor.handler = frames;
      channel.opened();
      this.succeed(channel);
    }, () => undefined);
    ctx.send(message.returnRoute, handshakeMessage(HANDSHAKE_MESSAGE_3, send));
  }

  private succeed(channel: SecureChannel): void {
    this.settled = true;
    this.cleanup();
    this.context.logger.info({ channel: channel.address, peer: channel.peerIdentity.identifier, route: formatRoute(this.route) }, 'secure channel open');
    this.resolve(channel);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.cleanup();
    this.step?.abort();
    this.step = null;
    const stage = error instanceof HandshakeError ? error.stage : error instanceof AbortedError ? 'aborted' : this.stage;
    this.context.logger.warn({ stage, reason: error.message, route: formatRoute(this.route) }, 'secure channel handshake failed');
    if (this.channel) this.channel.teardown(`handshake failed at ${stage}`).catch(() => undefined);
    else if (this.node.hasWorker(this.decryptorAddress)) this.node.stopWorker(this.decryptorAddress).catch(() => undefined);
    this.reject(error);
  }

  private cleanup(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.decryptor.onShutdown !== null && this.channel === null) this.decryptor.onShutdown = null;
  }
}
