import { InvalidInputError } from '../../errors.js';
import { DEFAULT_REPLAY_WINDOW } from './replay-window.js';

/** Default number of frames sent under one key before both sides move to REKEY(k). */
export const DEFAULT_REKEY_INTERVAL = 65536;

/** Length of the explicit nonce at the start of every transport frame. */
export const FRAME_NONCE_LENGTH = 8;

/** Options of the explicit-nonce transport. Both peers must use the same rekey interval. */
export interface TransportOptions {
  /** Frames per key epoch; default 65536 (2^16). Must be >= the replay window size. */
  readonly rekeyInterval?: number;
  /** Width of the receive replay window in nonces; default 2048, a multiple of 32. */
  readonly replayWindow?: number;
}

/** Resolved and checked transport options. */
export function resolveTransportOptions(options: TransportOptions = {}): Required<TransportOptions> {
  const replayWindow = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
  const rekeyInterval = options.rekeyInterval ?? DEFAULT_REKEY_INTERVAL;
  if (!Number.isSafeInteger(rekeyInterval) || rekeyInterval < replayWindow || rekeyInterval > 2 ** 40) {
    throw new InvalidInputError('channel', 'rekey interval must be an integer between the replay window size and 2^40');
  }
  return { rekeyInterval, replayWindow };
}
