import {
  InvalidInputError, IoError, NotFoundError, SymbolonError, UnauthorizedError, UnsupportedError,
} from '../../core/errors.js';

/** The CKR_* name of a pkcs11js error (e.g. 'CKR_PIN_INCORRECT'), if it is one. */
export function ckrName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  const m = /CKR_[A-Z0-9_]+/.exec(message);
  return m ? m[0] : undefined;
}

/**
 * Turns a PKCS#11 failure into a SymbolonError (origin 'vault') with a one-line message
 * naming the token and what was being done.
 */
export function mapPkcs11Error(error: unknown, token: string, action: string): SymbolonError {
  if (error instanceof SymbolonError) return error;
  const ckr = ckrName(error);
  const opts = { cause: error };
  switch (ckr) {
    case 'CKR_PIN_INCORRECT':
      return new UnauthorizedError('vault', `wrong PIN for token "${token}"`, opts);
    case 'CKR_PIN_LOCKED':
      return new UnauthorizedError('vault', `PIN of token "${token}" is locked; the security officer must reset it`, opts);
    case 'CKR_PIN_EXPIRED':
      return new UnauthorizedError('vault', `PIN of token "${token}" has expired; set a new one`, opts);
    case 'CKR_USER_PIN_NOT_INITIALIZED':
      return new UnauthorizedError('vault', `token "${token}" has no user PIN yet; initialise it first`, opts);
    case 'CKR_PIN_LEN_RANGE':
    case 'CKR_PIN_INVALID':
      return new UnauthorizedError('vault', `PIN for token "${token}" has an invalid length or characters`, opts);
    case 'CKR_MECHANISM_INVALID':
    case 'CKR_MECHANISM_PARAM_INVALID':
    case 'CKR_DOMAIN_PARAMS_INVALID':
    case 'CKR_CURVE_NOT_SUPPORTED':
      return new UnsupportedError('vault', `token "${token}" does not support ${action} (${ckr})`, opts);
    case 'CKR_KEY_HANDLE_INVALID':
    case 'CKR_OBJECT_HANDLE_INVALID':
      return new NotFoundError('vault', `key not found on token "${token}" during ${action}`, opts);
    case 'CKR_KEY_TYPE_INCONSISTENT':
    case 'CKR_KEY_FUNCTION_NOT_PERMITTED':
      return new InvalidInputError('vault', `key on token "${token}" cannot be used for ${action} (${ckr})`, opts);
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_DEVICE_ERROR':
    case 'CKR_SESSION_HANDLE_INVALID':
    case 'CKR_SESSION_CLOSED':
      return new IoError('vault', `token "${token}" became unavailable during ${action} (${ckr})`, opts);
    case 'CKR_DEVICE_MEMORY':
    case 'CKR_HOST_MEMORY':
      return new IoError('vault', `token "${token}" is out of memory during ${action}`, opts);
    case 'CKR_USER_NOT_LOGGED_IN':
      return new UnauthorizedError('vault', `not logged in to token "${token}" during ${action}`, opts);
    default:
      return new IoError('vault', `PKCS#11 ${action} on token "${token}" failed (${ckr ?? (error instanceof Error ? error.message.split('\n')[0] : 'unknown error')})`, opts);
  }
}
