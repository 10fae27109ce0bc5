import type { Identity } from '../identity/identity.js';
import { allowAll } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import type { WorkerContext } from '../node/worker.js';
import type { Message } from '../routing/message.js';
import { HANDSHAKE_MESSAGE_2, HANDSHAKE_MESSAGE_3, HANDSHAKE_REFUSED, REFUSAL, handshakeMessage } from './channel-wire.js';
import { ChannelWorker } from './channel-worker.js';
import { channelAddresses, ownPayload, peerInfo, runAuthorize, type HandshakeContext } from './handshake-common.js';
import type { HandshakeResult } from './noise/handshake-state.js';
import { TransportState } from './noise/transport-state.js';
import { XxResponder, type XxResponderAwaitMessage3 } from './noise/xx-responder.js';
import { HandshakeError, verifyPeer, type HandshakeStage } from './peer-verification.js';
import { SecureChannel } from './secure-channel.js';
import {
  localStaticKey, requireTrustedCredential, resolveSecureChannelKey, type SecureChannelOptions,
} from './secure-channel-options.js';

/** How a responder handshake ended (the listener counts these). */
export type ResponderOutcome = 'accepted' | 'refused' | 'failed' | 'timeout';

/**
 * One responder handshake, spawned by the listener for a message 1. Owns a decryptor
 * worker `scd-<hex>` (message 3 and then frames arrive there), answers message 2 along
 * message 1's return route, verifies message 3's payload, asks the listener's authorize
 * hook, then opens the channel and confirms with an encrypted READY. On any failure the
 * initiator gets at most a generic refusal; the local log names the stage and reason.
 * `run` never rejects; `done` is called exactly once.
 */
export class ResponderHandshake {
  private stage: HandshakeStage = 'message-1';
  private step: XxResponderAwaitMessage3 | null = null;
  private decryptor: ChannelWorker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  /** Ends the wait for a key source, once the handshake ended. */
  private ended: (() => void) | null = null;
  private readonly address: string;
  private readonly decryptorAddress: string;

  constructor(
    private readonly node: Node,
    private readonly listenerAddress: string,
    private readonly options: SecureChannelOptions,
    private readonly context: HandshakeContext,
    private readonly message1: Message,
    private readonly timeoutMs: number,
    private readonly done: (outcome: ResponderOutcome) => void,
  ) {
    ({ address: this.address, decryptorAddress: this.decryptorAddress } = channelAddresses(node));
  }

  /** Reads message 1, starts the decryptor worker and sends message 2. */
  async run(): Promise<void> {
    this.timer = setTimeout(() => this.end('timeout', new HandshakeError('timeout', `no message 3 within ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      const source = this.options.secureChannelKey;
      // A key source that never answers must not hold the listener (it awaits run()): the
      // wait ends with the handshake's deadline.
      const key = typeof source === 'function'
        ? await Promise.race([resolveSecureChannelKey(source), new Promise<null>((resolve) => { this.ended = () => resolve(null); })])
        : await resolveSecureChannelKey(source);
      this.ended = null;
      if (this.finished || key === null) return;
      const read = XxResponder.start({ staticKey: localStaticKey(key) }).readMessage1(this.message1.payload.subarray(1));
      const written = read.next.writeMessage2(ownPayload(this.options, key));
      this.step = written.next;
      const decryptor = new ChannelWorker((ctx, message) => this.onMessage3(ctx, message));
      decryptor.onShutdown = () => this.end('failed', new HandshakeError('aborted', 'the node stopped the handshake'));
      this.decryptor = decryptor;
      await this.node.startWorker(this.decryptorAddress, decryptor, { incoming: allowAll });
      if (this.finished) return;
      this.stage = 'message-3';
      decryptor.context!.send(this.message1.returnRoute, handshakeMessage(HANDSHAKE_MESSAGE_2, written.send));
    } catch (error) {
      this.end('failed', error instanceof HandshakeError ? error : new HandshakeError(this.stage, (error as Error).message, { cause: error }));
    }
  }

  private async onMessage3(ctx: WorkerContext, message: Message): Promise<void> {
    const step = this.step;
    if (this.finished || step === null) return;
    const kind = message.payload[0];
    if (kind === HANDSHAKE_REFUSED) return this.end('failed', new HandshakeError('refused-by-peer', 'the initiator refused the handshake'));
    if (kind !== HANDSHAKE_MESSAGE_3) {
      this.context.logger.debug({ kind }, 'unexpected message while waiting for handshake message 3; dropped');
      return;
    }
    this.step = null;
    let result: HandshakeResult;
    let peerIdentity: Identity;
    try {
      const read = step.readMessage3(message.payload.subarray(1));
      result = read.next;
      this.stage = 'payload';
      peerIdentity = verifyPeer(read.payload, read.remoteStaticKey, this.context.verification());
    } catch (error) {
      return this.refuse(ctx, error instanceof HandshakeError ? error : new HandshakeError('message-3', (error as Error).message, { cause: error }));
    }
    // The keys exist from here: wrap them at once so every path below can drop them.
    const transport = new TransportState(result, this.options.transportOptions);
    this.stage = 'authorize';
    const authorize = this.options.authorize ?? requireTrustedCredential;
    const peer = peerInfo(this.context.attributeStore, peerIdentity.identifier, this.address);
    const allowed = await runAuthorize((p) => authorize(p, {
      resource: { type: 'secure-channel-listener', name: this.listenerAddress, node: this.node.name }, role: 'responder',
    }), peer, this.context.logger);
    if (this.finished) {
      transport.close();
      return;
    }
    if (!allowed) {
      transport.close();
      return this.refuse(ctx, new HandshakeError('authorize', `${peerIdentity.identifier} may not open a channel here`), 'refused');
    }
    const channel = new SecureChannel({
      node: this.node, registry: this.context.registry, role: 'responder', address: this.address,
      decryptorAddress: this.decryptorAddress, decryptor: this.decryptor!, route: this.message1.returnRoute, transport,
      peerIdentity, attributeStore: this.context.attributeStore, options: this.options, clock: this.context.clock, logger: this.context.logger,
    });
    try {
      await channel.start();
    } catch (error) {
      await channel.teardown('cannot start the encryptor');
      return this.end('failed', new HandshakeError('ready', (error as Error).message, { cause: error }));
    }
    channel.sendReady();
    channel.opened();
    this.finished = true;
    this.clearTimer();
    this.context.logger.info({ channel: channel.address, peer: peerIdentity.identifier }, 'secure channel accepted');
    this.done('accepted');
  }

  private refuse(ctx: WorkerContext, error: HandshakeError, outcome: ResponderOutcome = 'failed'): void {
    ctx.send(this.message1.returnRoute, REFUSAL);
    this.end(outcome, error);
  }

  private end(outcome: ResponderOutcome, error: HandshakeError): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    this.ended?.();
    this.ended = null;
    this.step?.abort();
    this.step = null;
    this.context.logger.warn({ stage: error.stage, reason: error.message }, 'secure channel handshake refused');
    if (this.decryptor) this.decryptor.onShutdown = null;
    if (this.node.hasWorker(this.decryptorAddress)) this.node.stopWorker(this.decryptorAddress).catch(() => undefined);
    this.done(outcome);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
