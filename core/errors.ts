/** The part of the system a failure comes from. */
export type ErrorOrigin =
  | 'vault' | 'transport' | 'routing' | 'channel' | 'identity' | 'credential'
  | 'policy' | 'authority' | 'node' | 'portal' | 'relay' | 'cli';

/** What kind of failure it is; the CLI maps kinds to exit codes. */
export type ErrorKind =
  | 'invalid' | 'not-found' | 'already-exists' | 'unauthorized' | 'expired'
  | 'unsupported' | 'io' | 'timeout' | 'aborted' | 'internal';

/**
 * Base class of every error the project throws on purpose.
 * `message` is one line meant for the local operator; it never holds secrets.
 */
export class SymbolonError extends Error {
  override readonly name: string = 'SymbolonError';
  constructor(
    readonly origin: ErrorOrigin,
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** A plain object for `--json` output and the control socket. */
  toJSON(): { error: { origin: ErrorOrigin; kind: ErrorKind; message: string } } {
    return { error: { origin: this.origin, kind: this.kind, message: this.message } };
  }
}

/** Input that does not have the expected shape or value. */
export class InvalidInputError extends SymbolonError {
  override readonly name = 'InvalidInputError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'invalid', message, options);
  }
}

/** A named thing (worker, key, node, identity, policy ...) does not exist. */
export class NotFoundError extends SymbolonError {
  override readonly name = 'NotFoundError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'not-found', message, options);
  }
}

/** A named thing already exists. */
export class AlreadyExistsError extends SymbolonError {
  override readonly name = 'AlreadyExistsError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'already-exists', message, options);
  }
}

/** Access was refused. To a remote peer this carries no detail. */
export class UnauthorizedError extends SymbolonError {
  override readonly name = 'UnauthorizedError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'unauthorized', message, options);
  }
}

/** Something is past its validity window. */
export class ExpiredError extends SymbolonError {
  override readonly name = 'ExpiredError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'expired', message, options);
  }
}

/** A requested algorithm, mechanism or feature is not available. */
export class UnsupportedError extends SymbolonError {
  override readonly name = 'UnsupportedError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'unsupported', message, options);
  }
}

/** An I/O failure: a socket, a file, a remote service. */
export class IoError extends SymbolonError {
  override readonly name = 'IoError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'io', message, options);
  }
}

/** An operation did not complete in time. */
export class TimeoutError extends SymbolonError {
  override readonly name = 'TimeoutError';
  constructor(origin: ErrorOrigin, message: string, options?: { cause?: unknown }) {
    super(origin, 'timeout', message, options);
  }
}

/** An operation was aborted through its AbortSignal. */
export class AbortedError extends SymbolonError {
  override readonly name = 'AbortedError';
  constructor(origin: ErrorOrigin, message = 'operation aborted', options?: { cause?: unknown }) {
    super(origin, 'aborted', message, options);
  }
}

/** Throws InvalidInputError unless `x` is a Uint8Array (of `length`, when given). */
export function assertBytes(x: unknown, length: number | undefined, what: string, origin: ErrorOrigin = 'identity'): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw new InvalidInputError(origin, `${what} must be bytes`);
  if (length !== undefined && x.length !== length) throw new InvalidInputError(origin, `${what} must be ${length} bytes, got ${x.length}`);
}
