import {
  AbortedError, InvalidInputError, IoError, NotFoundError, SymbolonError, UnauthorizedError, UnsupportedError,
} from '../../core/errors.js';

/** What was being done when an AWS KMS call failed, for the error message. */
export interface KmsCallContext {
  /** KMS operation name, e.g. 'Sign'. */
  readonly operation: string;
  /** The key id, alias or ARN involved, if any. */
  readonly keyId?: string;
  /** The endpoint (URL or host) the client talks to. */
  readonly endpoint: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const RETRYABLE = new Set(['ThrottlingException', 'KMSInternalException', 'DependencyTimeoutException', 'ServiceUnavailableException', 'RequestLimitExceeded']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

/** The network error code (ECONNREFUSED ...) of an error or its causes, if any. */
export function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = shape(e).cause, depth++) {
    const code = shape(e).code;
    if (code && NETWORK_CODES.has(code)) return code;
    const errors = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(errors)) for (const inner of errors) { const c = shape(inner).code; if (c && NETWORK_CODES.has(c)) return c; }
  }
  return undefined;
}

/** Whether a failed KMS call is worth retrying (throttling, transient service errors). */
export function isRetryableKmsError(error: unknown): boolean {
  const e = shape(error);
  if (e.name && RETRYABLE.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

/**
 * Turns an AWS SDK error into a SymbolonError (origin 'vault') with a one-line message
 * that names the operation, the key and what to check. Never includes request data.
 */
export function mapKmsError(error: unknown, ctx: KmsCallContext, attempts = 1): SymbolonError {
  if (error instanceof SymbolonError) return error;
  const e = shape(error);
  const key = ctx.keyId ? ` key ${ctx.keyId}` : '';
  const opts = { cause: error };
  if (e.name === 'AbortError') return new AbortedError('vault', `AWS KMS ${ctx.operation} aborted`, opts);
  const net = networkCode(error);
  if (net) return new IoError('vault', `AWS KMS endpoint ${ctx.endpoint} is unreachable (${net})`, opts);
  switch (e.name) {
    case 'AccessDeniedException':
      return new UnauthorizedError('vault', `AWS KMS denied ${ctx.operation} on${key || ' the account'}: the caller's IAM policy or key policy must allow kms:${ctx.operation}`, opts);
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'IncompleteSignatureException':
    case 'ExpiredTokenException':
    case 'InvalidClientTokenId':
      return new UnauthorizedError('vault', `AWS KMS at ${ctx.endpoint} rejected the credentials (${e.name}); check the AWS credential chain`, opts);
    case 'NotFoundException':
      return new NotFoundError('vault', `AWS KMS${key || ' key'} not found at ${ctx.endpoint}`, opts);
    case 'DisabledException':
      return new InvalidInputError('vault', `AWS KMS${key} is disabled; enable it before ${ctx.operation}`, opts);
    case 'KMSInvalidStateException':
      return new InvalidInputError('vault', `AWS KMS${key} is not in a state that allows ${ctx.operation}`, opts);
    case 'InvalidKeyUsageException':
      return new InvalidInputError('vault', `AWS KMS${key} cannot ${ctx.operation}: wrong key usage or signing algorithm for its key spec (needs SIGN_VERIFY, ECC_NIST_P256 or ECC_NIST_EDWARDS25519)`, opts);
    case 'UnsupportedOperationException':
      return new UnsupportedError('vault', `AWS KMS${key} does not support ${ctx.operation} (is it a SIGN_VERIFY key?)`, opts);
    case 'ValidationException':
      return new InvalidInputError('vault', `AWS KMS rejected ${ctx.operation}${key ? ` on${key}` : ''} as invalid`, opts);
    case 'LimitExceededException':
      return new IoError('vault', `AWS KMS quota exceeded for ${ctx.operation}`, opts);
    default:
      break;
  }
  if (isRetryableKmsError(error)) {
    return new IoError('vault', `AWS KMS ${ctx.operation}${key ? ` on${key}` : ''} still throttled or failing (${e.name ?? 'error'}) after ${attempts} attempt(s)`, opts);
  }
  return new IoError('vault', `AWS KMS ${ctx.operation}${key ? ` on${key}` : ''} failed at ${ctx.endpoint} (${e.name ?? 'error'})`, opts);
}
