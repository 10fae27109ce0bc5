import { randomInt } from 'node:crypto';
import { decodeStrict, encodeDeterministic } from '../../core/cbor.js';
import { InvalidInputError, type ErrorKind } from '../../core/errors.js';

/** Version of the authority request/response format. */
export const AUTHORITY_PROTOCOL_VERSION = 1;
/** Largest encoded request a service accepts, checked before decoding. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Largest encoded response a service sends (fits a 256 KiB transport frame with routing and channel overhead). */
export const MAX_RESPONSE_BYTES = 200 * 1024;
/** Longest method name. */
const MAX_METHOD_LENGTH = 64;
/** Request ids are unsigned 32-bit integers. */
const MAX_ID = 0xffff_ffff;

/** Parameters and results: a CBOR map with string keys. */
export type WireMap = Readonly<Record<string, unknown>>;

/** `{ version, id, method, params }`: one call of a service method. */
export interface AuthorityRequest {
  readonly version: number;
  /** Chosen by the caller; echoed in the response. */
  readonly id: number;
  readonly method: string;
  readonly params: WireMap;
}

/** The error part of a failed response: what the caller may learn, one line, no secrets. */
export interface WireError {
  readonly kind: ErrorKind;
  readonly message: string;
  /** For refused tickets: `unknown`, `expired` or `used-up`. */
  readonly reason?: string;
}

/** `{ version, id, ok: true, result }` or `{ version, id, ok: false, error }`. */
export type AuthorityResponse =
  | { readonly version: number; readonly id: number; readonly ok: true; readonly result: WireMap }
  | { readonly version: number; readonly id: number; readonly ok: false; readonly error: WireError };

const ERROR_KINDS: readonly ErrorKind[] = [
  'invalid', 'not-found', 'already-exists', 'unauthorized', 'expired', 'unsupported', 'io', 'timeout', 'aborted', 'internal',
];

function invalid(what: string, message: string): InvalidInputError {
  return new InvalidInputError('authority', `malformed authority ${what}: ${message}`);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_ID;
}

/** A fresh random request id. */
export function newRequestId(): number {
  return randomInt(0, MAX_ID);
}

/** Drops `undefined` properties (deterministic CBOR has no place for them), recursively in plain maps. */
export function definedOnly<T>(value: T): T {
  if (Array.isArray(value)) return value.map(definedOnly) as T;
  if (!isMap(value)) return value;
  // fromEntries defines own properties: a key such as "__proto__" stays a key and never
  // becomes the object's prototype.
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, definedOnly(v)])) as T;
}

function encodeBounded(value: unknown, limit: number, what: string): Uint8Array {
  const bytes = encodeDeterministic(definedOnly(value));
  if (bytes.length > limit) throw new InvalidInputError('authority', `authority ${what} is too large (${bytes.length} bytes, at most ${limit})`);
  return bytes;
}

function decodeMap(bytes: Uint8Array, limit: number, what: string): Record<string, unknown> {
  if (!(bytes instanceof Uint8Array)) throw invalid(what, 'not bytes');
  if (bytes.length > limit) throw invalid(what, `larger than ${limit} bytes`);
  const value = decodeStrict<unknown>(bytes, 'authority', `authority ${what}`);
  if (!isMap(value)) throw invalid(what, 'not a map');
  if (value.version !== AUTHORITY_PROTOCOL_VERSION) throw invalid(what, `version ${String(value.version)} is not supported (this side speaks ${AUTHORITY_PROTOCOL_VERSION})`);
  if (!isId(value.id)) throw invalid(what, 'id must be an unsigned 32-bit integer');
  return value;
}

function checkKeys(value: Record<string, unknown>, keys: readonly string[], what: string): void {
  const extra = Object.keys(value).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw invalid(what, `unexpected fields (${extra.slice(0, 5).join(', ')})`);
}

/** Encodes a request; throws InvalidInputError when it exceeds {@link MAX_REQUEST_BYTES}. */
export function encodeRequest(request: Omit<AuthorityRequest, 'version'>): Uint8Array {
  return encodeBounded({ version: AUTHORITY_PROTOCOL_VERSION, id: request.id, method: request.method, params: request.params }, MAX_REQUEST_BYTES, 'request');
}

/** Decodes and checks a request; throws InvalidInputError saying what is wrong. */
export function decodeRequest(bytes: Uint8Array): AuthorityRequest {
  const value = decodeMap(bytes, MAX_REQUEST_BYTES, 'request');
  checkKeys(value, ['version', 'id', 'method', 'params'], 'request');
  const { id, method, params } = value;
  if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_LENGTH) throw invalid('request', 'method must be a name of 1-64 characters');
  if (!isMap(params)) throw invalid('request', 'params must be a map');
  return { version: AUTHORITY_PROTOCOL_VERSION, id: id as number, method, params };
}

/** Reads the id of a request that may be malformed, so an error reply can echo it (0 when unreadable). */
export function salvageRequestId(bytes: Uint8Array): number {
  try {
    if (bytes.length > MAX_REQUEST_BYTES) return 0;
    const value = decodeStrict<unknown>(bytes, 'authority');
    return isMap(value) && isId(value.id) ? value.id : 0;
  } catch {
    return 0;
  }
}

/** Encodes a successful response; throws InvalidInputError when it exceeds {@link MAX_RESPONSE_BYTES}. */
export function encodeResult(id: number, result: WireMap): Uint8Array {
  return encodeBounded({ version: AUTHORITY_PROTOCOL_VERSION, id, ok: true, result }, MAX_RESPONSE_BYTES, 'response');
}

/** Encodes an error response (message cut to one line of at most 500 characters). */
export function encodeError(id: number, error: WireError): Uint8Array {
  const message = error.message.replace(/[\r\n]+/g, ' ').slice(0, 500);
  return encodeBounded({ version: AUTHORITY_PROTOCOL_VERSION, id, ok: false, error: { ...error, message } }, MAX_RESPONSE_BYTES, 'response');
}

/** Decodes and checks a response; throws InvalidInputError saying what is wrong. */
export function decodeResponse(bytes: Uint8Array): AuthorityResponse {
  const value = decodeMap(bytes, MAX_RESPONSE_BYTES, 'response');
  const id = value.id as number;
  if (value.ok === true) {
    checkKeys(value, ['version', 'id', 'ok', 'result'], 'response');
    if (!isMap(value.result)) throw invalid('response', 'result must be a map');
    return { version: AUTHORITY_PROTOCOL_VERSION, id, ok: true, result: value.result };
  }
  if (value.ok !== false) throw invalid('response', 'ok must be true or false');
  checkKeys(value, ['version', 'id', 'ok', 'error'], 'response');
  const error = value.error;
  if (!isMap(error) || typeof error.message !== 'string' || !ERROR_KINDS.includes(error.kind as ErrorKind)) {
    throw invalid('response', 'error must have a known kind and a message');
  }
  checkKeys(error, ['kind', 'message', 'reason'], 'response error');
  if (error.reason !== undefined && typeof error.reason !== 'string') throw invalid('response', 'error reason must be text');
  const wire: WireError = { kind: error.kind as ErrorKind, message: error.message, ...(error.reason === undefined ? {} : { reason: error.reason }) };
  return { version: AUTHORITY_PROTOCOL_VERSION, id, ok: false, error: wire };
}
