import type { HandshakeResult, HandshakeState } from './handshake-state.js';
import { newHandshakeState, XxStep, type XxOptions } from './xx-options.js';

const EMPTY = new Uint8Array(0);

/**
 * The initiator side of Noise XX as a state machine with no I/O:
 *   XxInitiator.start(options)            -> XxInitiatorStart
 *   .writeMessage1(payload)               -> { send, next: XxInitiatorAwaitMessage2 }
 *   .readMessage2(message)                -> { payload, remoteStaticKey, next: XxInitiatorSendMessage3 }
 *   .writeMessage3(payload)               -> { send, next: HandshakeResult }
 * Transport keys exist only in the final HandshakeResult. A failed step throws and
 * leaves no secret behind.
 */
export const XxInitiator = {
  /** A new initiator handshake. */
  start(options: XxOptions): XxInitiatorStart {
    return new XxInitiatorStart(options);
  },
};

/** Initiator before message 1. */
export class XxInitiatorStart extends XxStep {
  readonly stage = 'initiator-write-message-1';

  /** @internal use XxInitiator.start */
  constructor(options: XxOptions) {
    super(newHandshakeState(options, true));
  }

  /** `-> e`: the payload travels in clear (no key yet); keep it empty in practice. */
  writeMessage1(payload: Uint8Array = EMPTY): { send: Uint8Array; next: XxInitiatorAwaitMessage2 } {
    const hs = this.take();
    // -> e
    const { message } = hs.writeMessage(payload);
    return { send: message, next: new XxInitiatorAwaitMessage2(hs) };
  }
}

/** Initiator waiting for message 2. */
export class XxInitiatorAwaitMessage2 extends XxStep {
  readonly stage = 'initiator-read-message-2';

  /** @internal */
  constructor(hs: HandshakeState) {
    super(hs);
  }

  /**
   * `<- e, ee, s, es`: reads the responder's ephemeral and (encrypted) static key.
   * The payload is authenticated by the responder's static key `rs`, returned here so
   * the caller can check it against the payload before writing message 3.
   */
  readMessage2(message: Uint8Array): { payload: Uint8Array; remoteStaticKey: Uint8Array; next: XxInitiatorSendMessage3 } {
    const hs = this.take();
    // <- e, ee, s, es
    const { payload } = hs.readMessage(message);
    return { payload, remoteStaticKey: hs.remoteStaticKey()!, next: new XxInitiatorSendMessage3(hs) };
  }
}

/** Initiator about to send message 3. */
export class XxInitiatorSendMessage3 extends XxStep {
  readonly stage = 'initiator-write-message-3';

  /** @internal */
  constructor(hs: HandshakeState) {
    super(hs);
  }

  /** `-> s, se`: sends the initiator's static key; the handshake is then complete. */
  writeMessage3(payload: Uint8Array = EMPTY): { send: Uint8Array; next: HandshakeResult } {
    const hs = this.take();
    // -> s, se
    const { message, result } = hs.writeMessage(payload);
    return { send: message, next: result! };
  }
}
