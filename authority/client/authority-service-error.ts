import { SymbolonError, type ErrorKind } from '../../core/errors.js';
import type { RedemptionRefusal } from '../authority-store.js';
import type { WireError } from '../services/protocol.js';
import { REDEMPTION_REFUSALS, TicketRefusedError } from '../ticket-refused-error.js';

/** The authority answered a request with an error (a refusal, invalid parameters, a failure on its side). */
export class AuthorityServiceError extends SymbolonError {
  override readonly name = 'AuthorityServiceError';
  constructor(
    /** The service and method that answered. */
    readonly service: string,
    readonly method: string,
    kind: ErrorKind,
    message: string,
  ) {
    super('authority', kind, message);
  }
}

/**
 * The error to throw for an error reply: a {@link TicketRefusedError} for a refused
 * ticket (so callers can tell unknown, expired and used-up apart), an
 * {@link AuthorityServiceError} with the authority's message and kind otherwise.
 */
export function errorFromReply(service: string, method: string, error: WireError): SymbolonError {
  if (error.reason !== undefined && REDEMPTION_REFUSALS.includes(error.reason as RedemptionRefusal)) return new TicketRefusedError(error.reason as RedemptionRefusal);
  return new AuthorityServiceError(service, method, error.kind, error.message);
}
