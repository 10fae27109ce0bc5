import { SymbolonError } from '../../errors.js';

/**
 * A handshake message or transport frame failed to authenticate or to parse.
 * The message names the stage only; it never carries key material.
 */
export class NoiseDecryptError extends SymbolonError {
  override readonly name = 'NoiseDecryptError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('channel', 'invalid', message, options);
  }
}

/** A transport frame carried a nonce the replay window has already seen or left behind. */
export class NoiseReplayError extends SymbolonError {
  override readonly name = 'NoiseReplayError';
  constructor(message: string) {
    super('channel', 'invalid', message);
  }
}

/**
 * A Noise object was used out of order: a handshake state stepped twice, a closed
 * transport used again, or a nonce space exhausted.
 */
export class NoiseStateError extends SymbolonError {
  override readonly name = 'NoiseStateError';
  constructor(message: string) {
    super('channel', 'internal', message);
  }
}
