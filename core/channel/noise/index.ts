/**
 * Noise XX secure-channel protocol core (no I/O): primitives, the spec's CipherState /
 * SymmetricState / HandshakeState, the XX initiator and responder state machines and
 * the explicit-nonce transport with replay window and periodic rekey.
 */
export { AESGCM, CHACHAPOLY, aeadDecrypt, aeadEncrypt, rekeyKey, type NoiseCipher } from './cipher-functions.js';
export { CipherState, MAX_NONCE } from './cipher-state.js';
export { HandshakeState, MAX_MESSAGE_LENGTH, type HandshakeParams, type HandshakeResult } from './handshake-state.js';
export { hash, hkdf, hmacHash, HASHLEN } from './hash-functions.js';
export { NoiseDecryptError, NoiseReplayError, NoiseStateError } from './noise-errors.js';
export { runNoiseVectors, type NoiseVectorReport } from './noise-vectors.js';
export {
  cipherOfProtocol, NOISE_XX_AESGCM, NOISE_XX_CHACHAPOLY, SECURE_CHANNEL_PROLOGUE, SUPPORTED_PROTOCOLS,
} from './protocol-name.js';
export { isPassThroughFrame, PASS_THROUGH_MARK } from './pass-through-frame.js';
export { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';
export { SymmetricState } from './symmetric-state.js';
export { DEFAULT_REKEY_INTERVAL, FRAME_NONCE_LENGTH, type TransportOptions } from './transport-options.js';
export { TransportState } from './transport-state.js';
export { DHLEN, isAllZero, x25519, X25519KeyPair, type LocalStaticKey } from './x25519.js';
export { XxInitiator, XxInitiatorAwaitMessage2, XxInitiatorSendMessage3, XxInitiatorStart } from './xx-initiator.js';
export { XxStep, type XxOptions } from './xx-options.js';
export { XxResponder, XxResponderAwaitMessage1, XxResponderAwaitMessage3, XxResponderSendMessage2 } from './xx-responder.js';
