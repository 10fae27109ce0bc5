import type { DataKey } from './record-cipher.js';

/**
 * Why a consumer's node has no data key for an id: the producer's node answered with a
 * refusal (its `kafka-consume` policy does not let this node read the topic, or it does not
 * hold that key: the records were produced through an inlet on another node), or it could
 * not be asked (no route, no secure channel, no answer in time).
 */
export type KeyFailure =
  | { readonly kind: 'refused' }
  | { readonly kind: 'unreachable'; readonly why: string };

/** What a consumer's node learned about one key id: the key, or why it has none. */
export type KeyAnswer = DataKey | KeyFailure;

/** The refusal (one shared object). */
export const KEY_REFUSED: KeyFailure = Object.freeze({ kind: 'refused' });

/** True when `answer` is a key. */
export function isDataKey(answer: KeyAnswer | undefined): answer is DataKey {
  return answer !== undefined && !('kind' in answer);
}

/** What the inlet's last error says about a key it could not use. */
export function keyFailureText(id: string, failure: KeyFailure | undefined): string {
  if (failure?.kind === 'unreachable') {
    return `data key ${id}: the producer's node could not be asked (${failure.why}); the partition answers NETWORK_EXCEPTION and the consumer retries`;
  }
  return `data key ${id}: refused by the producer's node (its kafka-consume policy does not let this node consume the topic, or it does not hold the key); the partition answers TOPIC_AUTHORIZATION_FAILED`;
}
