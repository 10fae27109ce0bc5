import { SymbolonError } from '../errors.js';

/**
 * A Kafka frame that does not parse (truncated, a length out of bounds, an unknown record
 * batch magic) or a sealed value that does not verify. The inlet closes that client's
 * connection only (or answers the partition with an error code).
 */
export class KafkaProtocolError extends SymbolonError {
  override readonly name = 'KafkaProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('portal', 'invalid', `kafka: ${message}`, options);
  }
}
