import { InvalidInputError, SymbolonError } from '../errors.js';
import type { ErrorKind, ErrorOrigin } from '../errors.js';

/**
 * The control socket protocol: newline-delimited JSON, one request per line,
 * one response per line, matched by `id`. Requests may be pipelined on one connection.
 *
 * request:  `{ "id": 1, "method": "node.info", "params": { ... } }`
 * response: `{ "id": 1, "result": ... }` or `{ "id": 1, "error": { "origin", "kind", "message" } }`
 */

/** Largest request line the server accepts, in bytes (1 MiB). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Largest response line the client accepts, in bytes (16 MiB). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** A request id: a number or a string chosen by the client. */
export type RequestId = number | string;

/** One control request. `params` is a JSON object (absent means `{}`). */
export interface ControlRequest {
  readonly id: RequestId;
  readonly method: string;
  readonly params: Record<string, unknown>;
}

/** The error part of a failed response (the `SymbolonError.toJSON().error` shape). */
export interface ControlErrorBody {
  readonly origin: ErrorOrigin;
  readonly kind: ErrorKind;
  readonly message: string;
}

/** One control response. `id` is null when the request was too malformed to carry one. */
export type ControlResponse =
  | { readonly id: RequestId | null; readonly result: unknown }
  | { readonly id: RequestId | null; readonly error: ControlErrorBody };

const METHOD_RE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;

/** True when `method` is a well-formed method name such as `node.info` or `tcp-inlet.create`. */
export function isMethodName(method: string): boolean {
  return method.length <= 128 && METHOD_RE.test(method);
}

function isId(x: unknown): x is RequestId {
  return (typeof x === 'number' && Number.isSafeInteger(x)) || (typeof x === 'string' && x.length > 0 && x.length <= 128);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Parses one request line. Throws InvalidInputError (origin `node`) naming what is wrong;
 * `error.requestId` carries the id when the line had a usable one, so the reply can name it.
 */
export function parseRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RequestParseError(null, 'request is not valid JSON');
  }
  if (!isPlainObject(value)) throw new RequestParseError(null, 'request must be a JSON object');
  const id = isId(value.id) ? value.id : null;
  if (id === null) throw new RequestParseError(null, 'request id must be a safe integer or a short string');
  if (typeof value.method !== 'string' || !isMethodName(value.method)) {
    throw new RequestParseError(id, 'request method must be a name such as node.info');
  }
  const params = value.params === undefined ? {} : value.params;
  if (!isPlainObject(params)) throw new RequestParseError(id, 'request params must be a JSON object');
  return { id, method: value.method, params };
}

/** A request line that could not be parsed; `requestId` is the id it carried, if any. */
export class RequestParseError extends InvalidInputError {
  constructor(readonly requestId: RequestId | null, message: string) {
    super('node', message);
  }
}

/** The error body for any thrown value; unexpected errors become `internal` without details. */
export function errorBody(err: unknown): ControlErrorBody {
  if (err instanceof SymbolonError) return err.toJSON().error;
  return { origin: 'node', kind: 'internal', message: 'internal error (see the node log)' };
}

/** Rebuilds a SymbolonError from an error body received over the socket. */
export function errorFromBody(body: ControlErrorBody): SymbolonError {
  return new SymbolonError(body.origin, body.kind, body.message);
}

/** Checks that an error body received from a server has the expected shape. */
export function isErrorBody(x: unknown): x is ControlErrorBody {
  return isPlainObject(x) && typeof x.origin === 'string' && typeof x.kind === 'string' && typeof x.message === 'string';
}
