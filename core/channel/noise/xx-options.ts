import { HandshakeState } from './handshake-state.js';
import { NoiseStateError } from './noise-errors.js';
import { NOISE_XX_AESGCM, SECURE_CHANNEL_PROLOGUE } from './protocol-name.js';
import type { LocalStaticKey, X25519KeyPair } from './x25519.js';

/** Options of an XX handshake, initiator or responder. */
export interface XxOptions {
  /** The local static key `s` (a vault-backed key or an X25519KeyPair). */
  readonly staticKey: LocalStaticKey;
  /** Defaults to SECURE_CHANNEL_PROLOGUE. */
  readonly prologue?: Uint8Array;
  /** An injected ephemeral key (test vectors only); generated when absent. */
  readonly ephemeralKey?: X25519KeyPair;
  /** Defaults to `Noise_XX_25519_AESGCM_SHA256`. */
  readonly protocolName?: string;
}

/** Builds the HandshakeState an XX state machine steps through. */
export function newHandshakeState(options: XxOptions, initiator: boolean): HandshakeState {
  return new HandshakeState({
    protocolName: options.protocolName ?? NOISE_XX_AESGCM,
    initiator,
    prologue: options.prologue ?? SECURE_CHANNEL_PROLOGUE,
    s: options.staticKey,
    ...(options.ephemeralKey === undefined ? {} : { e: options.ephemeralKey }),
  });
}

/**
 * Base of every XX state: owns the HandshakeState until one step consumes it. A state
 * can be stepped once; `abort()` drops the handshake's secrets when the driver gives up.
 */
export abstract class XxStep {
  private hs: HandshakeState | null;

  protected constructor(hs: HandshakeState) {
    this.hs = hs;
  }

  /** Drops the handshake's secrets (timeout, cancellation, rejected payload). Idempotent. */
  abort(): void {
    this.hs?.destroy();
    this.hs = null;
  }

  /** Takes the HandshakeState for this step; a state cannot be stepped twice. */
  protected take(): HandshakeState {
    const hs = this.hs;
    if (hs === null) throw new NoiseStateError('handshake step already taken');
    this.hs = null;
    return hs;
  }
}
