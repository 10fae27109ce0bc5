/**
 * Secure channels over routing: the Noise XX handshake carried in routed messages,
 * identities, key attestations and credentials in the handshake payloads, and the
 * encryptor/decryptor workers of an established channel (which may run inside another).
 */
export { createSecureChannel } from './create-secure-channel.js';
export {
  CHANNEL_CLOSE, CHANNEL_CREDENTIAL, CHANNEL_PAYLOAD, CHANNEL_PING, CHANNEL_PONG, CHANNEL_READY, DEFAULT_LISTENER_ADDRESS,
  HANDSHAKE_MESSAGE_1, HANDSHAKE_MESSAGE_2, HANDSHAKE_MESSAGE_3, HANDSHAKE_REFUSED,
} from './channel-wire.js';
export {
  decodeCredentialUpdate, decodeHandshakePayload, encodeCredentialUpdate, encodeHandshakePayload,
  HANDSHAKE_PAYLOAD_VERSION, MAX_PRESENTED_CREDENTIALS, type HandshakePayload,
} from './handshake-payload.js';
export { HandshakeError, type HandshakeStage } from './peer-verification.js';
export { DEFAULT_MAX_REPLY_HOPS, encryptorAccessControl, ReplyHops } from './reply-hops.js';
export { SecureChannel, type SecureChannelStats } from './secure-channel.js';
export {
  SecureChannelListener, type SecureChannelListenerOptions, type SecureChannelListenerStats,
} from './secure-channel-listener.js';
export {
  allowIdentities, DEFAULT_HANDSHAKE_TIMEOUT_MS, requireTrustedCredential, type Authorize, type AuthorizeContext,
  type ConnectionEvents, type CredentialProvider, type SecureChannelKey, type SecureChannelKeySource, type SecureChannelOptions,
} from './secure-channel-options.js';
export { SecureChannelRegistry, type SecureChannelInfo } from './secure-channel-registry.js';
