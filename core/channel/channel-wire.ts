/**
 * Byte-level constants of the secure channel over routing (see docs/protocols.md,
 * "Secure channel over routing").
 *
 * During the handshake every routed payload is `kind:u8 || noise-message`, with `kind`
 * one of the HANDSHAKE_* values. Once a channel is established, every routed payload to
 * a decryptor is one explicit-nonce transport frame, and its plaintext starts with a
 * channel message type (CHANNEL_*).
 */

/** `-> e` (initiator to the listener). */
export const HANDSHAKE_MESSAGE_1 = 1;
/** `<- e, ee, s, es` plus the responder's handshake payload. */
export const HANDSHAKE_MESSAGE_2 = 2;
/** `-> s, se` plus the initiator's handshake payload. */
export const HANDSHAKE_MESSAGE_3 = 3;
/** A generic refusal in clear: no reason, no detail (the local log has them). */
export const HANDSHAKE_REFUSED = 0x0f;

/** Plaintext type: a routed message (routing message codec: inner onward, inner return, payload). */
export const CHANNEL_PAYLOAD = 0;
/** Plaintext type: the responder authorized the initiator; the channel is open. */
export const CHANNEL_READY = 1;
/** Plaintext type: a refreshed credential list (deterministic CBOR). */
export const CHANNEL_CREDENTIAL = 2;
/** Plaintext type: the sender closed the channel. */
export const CHANNEL_CLOSE = 3;
/** Plaintext type: keep-alive probe. */
export const CHANNEL_PING = 4;
/** Plaintext type: answer to a keep-alive probe. */
export const CHANNEL_PONG = 5;

/**
 * Plaintext type: `0x06 lane:u8` (0 relay, 1 direct): the last frame the sender sends on
 * its current lane; its next frames travel on `lane` (docs/protocols.md, "Direct paths").
 */
export const CHANNEL_SWITCH = 6;
/**
 * Plaintext type: `0x07 features:u8`: what the sender can receive (docs/protocols.md,
 * "Pass-through frames"). Each side sends it once, right after the channel opened; a peer
 * that does not know the type drops it (and so never learns of, nor gets, the features).
 */
export const CHANNEL_FEATURES = 7;
/** Feature bit of CHANNEL_FEATURES: the sender accepts pass-through frames. */
export const FEATURE_PASS_THROUGH = 0x01;

/**
 * Plaintext type of the sealed header of a pass-through frame: `0x08 || routing message`
 * (inner onward route, inner return route, an empty payload); the message's payload is the
 * inner frame that follows the header.
 */
export const CHANNEL_PASSED = 8;

/** Lane bytes of CHANNEL_SWITCH. */
export const LANE_RELAY = 0;
export const LANE_DIRECT = 1;

/** Default worker address of a secure channel listener. */
export const DEFAULT_LISTENER_ADDRESS = 'api';

/** Prefixes a Noise handshake message with its kind byte. */
export function handshakeMessage(kind: number, noiseMessage: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + noiseMessage.length);
  out[0] = kind;
  out.set(noiseMessage, 1);
  return out;
}

/** The generic refusal message. */
export const REFUSAL: Uint8Array = Uint8Array.of(HANDSHAKE_REFUSED);

/** A one-byte control plaintext (READY, CLOSE, PING, PONG). */
export function controlPlaintext(type: number): Uint8Array {
  return Uint8Array.of(type);
}
