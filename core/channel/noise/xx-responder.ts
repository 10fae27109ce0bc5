import type { HandshakeResult, HandshakeState } from './handshake-state.js';
import { newHandshakeState, XxStep, type XxOptions } from './xx-options.js';

const EMPTY = new Uint8Array(0);

/**
 * The responder side of Noise XX as a state machine with no I/O:
 *   XxResponder.start(options)            -> XxResponderAwaitMessage1
 *   .readMessage1(message)                -> { payload, next: XxResponderSendMessage2 }
 *   .writeMessage2(payload)               -> { send, next: XxResponderAwaitMessage3 }
 *   .readMessage3(message)                -> { payload, remoteStaticKey, next: HandshakeResult }
 * Transport keys exist only in the final HandshakeResult. A failed step throws and
 * leaves no secret behind.
 */
export const XxResponder = {
  /** A new responder handshake. */
  start(options: XxOptions): XxResponderAwaitMessage1 {
    return new XxResponderAwaitMessage1(options);
  },
};

/** Responder waiting for message 1. */
export class XxResponderAwaitMessage1 extends XxStep {
  readonly stage = 'responder-read-message-1';

  /** @internal use XxResponder.start */
  constructor(options: XxOptions) {
    super(newHandshakeState(options, false));
  }

  /** `-> e`: reads the initiator's ephemeral key; the payload is unauthenticated clear text. */
  readMessage1(message: Uint8Array): { payload: Uint8Array; next: XxResponderSendMessage2 } {
    const hs = this.take();
    // -> e
    const { payload } = hs.readMessage(message);
    return { payload, next: new XxResponderSendMessage2(hs) };
  }
}

/** Responder about to send message 2. */
export class XxResponderSendMessage2 extends XxStep {
  readonly stage = 'responder-write-message-2';

  /** @internal */
  constructor(hs: HandshakeState) {
    super(hs);
  }

  /** `<- e, ee, s, es`: sends the responder's ephemeral and encrypted static key. */
  writeMessage2(payload: Uint8Array = EMPTY): { send: Uint8Array; next: XxResponderAwaitMessage3 } {
    const hs = this.take();
    // <- e, ee, s, es
    const { message } = hs.writeMessage(payload);
    return { send: message, next: new XxResponderAwaitMessage3(hs) };
  }
}

/** Responder waiting for message 3. */
export class XxResponderAwaitMessage3 extends XxStep {
  readonly stage = 'responder-read-message-3';

  /** @internal */
  constructor(hs: HandshakeState) {
    super(hs);
  }

  /** `-> s, se`: reads the initiator's static key; the handshake is then complete. */
  readMessage3(message: Uint8Array): { payload: Uint8Array; remoteStaticKey: Uint8Array; next: HandshakeResult } {
    const hs = this.take();
    // -> s, se
    const { payload, result } = hs.readMessage(message);
    return { payload, remoteStaticKey: result!.remoteStaticKey, next: result! };
  }
}
