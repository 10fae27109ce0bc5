import { SymbolonError } from '../core/errors.js';

/** What the caller of an authority service is told; the cause (host, port, driver text) goes to the local log only. */
const MESSAGE = 'the authority cannot reach its database (it is stopped or unreachable): the request was not carried out, try again once it is back';

/**
 * The authority's database cannot be reached (refused, reset, shut down, unreachable):
 * enrollment, issuance and every change fail closed with this error, which members see
 * with its message (not the driver's, which names hosts); reads and writes work again by
 * themselves once the database is back.
 */
export class StorageUnavailableError extends SymbolonError {
  override readonly name = 'StorageUnavailableError';
  constructor(options?: { cause?: unknown }) {
    super('authority', 'io', MESSAGE, options);
  }
}

const CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);

/**
 * True for a driver error that means "no database to talk to": a refused or dropped
 * connection, or a server shutting down or starting (SQLSTATE classes 08 and 57P).
 */
export function isConnectionFailure(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection ended|Client has encountered a connection error|ECONNREFUSED/i.test(message);
}
