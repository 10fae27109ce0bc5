import { InvalidInputError } from './errors.js';
import type { ErrorOrigin } from './errors.js';

/** Parameters or results as they arrive from a peer: a map with string keys (JSON or CBOR). */
export type ParamMap = Readonly<Record<string, unknown>>;

/** Bounds of an integer parameter (inclusive). */
export interface IntegerBounds {
  readonly min?: number;
  readonly max?: number;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * Reads the fields of a request's params or a response's result, checking each type at
 * the boundary. Every reader throws InvalidInputError (with the origin given to the
 * constructor) naming the field: `parameter "port" must be ...`, `unknown parameter "x"`.
 */
export class Params {
  constructor(protected readonly map: ParamMap, protected readonly origin: ErrorOrigin) {}

  /** The error for field `name` that does not hold `expected`. */
  protected bad(name: string, expected: string): InvalidInputError {
    return new InvalidInputError(this.origin, `parameter "${name.slice(0, 64)}" must be ${expected}`);
  }

  /** Throws unless every key of the map is one of `known`. */
  only(...known: string[]): this {
    const extra = Object.keys(this.map).filter((k) => !known.includes(k));
    if (extra.length > 0) throw new InvalidInputError(this.origin, `unknown parameter "${extra[0]!.slice(0, 64)}"`);
    return this;
  }

  /** True when field `name` is absent (undefined). */
  absent(name: string): boolean {
    return this.map[name] === undefined;
  }

  /** A string of `min`..`max` characters (`min` defaults to 1). */
  string(name: string, max = 1024, min = 1): string {
    const v = this.map[name];
    if (typeof v !== 'string' || v.length < min || v.length > max) {
      throw this.bad(name, min === 0 ? `text of at most ${max} characters` : `text of ${min}-${max} characters`);
    }
    return v;
  }

  /** An optional string of 1..`max` characters. */
  optionalString(name: string, max = 1024): string | undefined {
    return this.map[name] === undefined ? undefined : this.string(name, max);
  }

  /** A safe integer within `bounds` (default: non-negative). */
  integer(name: string, { min = 0, max = Number.MAX_SAFE_INTEGER }: IntegerBounds = {}): number {
    const v = this.map[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw this.bad(name, min === 0 && max === Number.MAX_SAFE_INTEGER ? 'a non-negative integer' : `an integer from ${min} to ${max}`);
    }
    return v;
  }

  /** An optional non-negative safe integer. */
  optionalInteger(name: string): number | undefined {
    return this.map[name] === undefined ? undefined : this.integer(name);
  }

  /** A boolean. */
  boolean(name: string): boolean {
    const v = this.map[name];
    if (typeof v !== 'boolean') throw this.bad(name, 'true or false');
    return v;
  }

  /** An optional boolean. */
  optionalBoolean(name: string): boolean | undefined {
    return this.map[name] === undefined ? undefined : this.boolean(name);
  }

  /** One of the strings `values`. */
  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const v = this.map[name];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw this.bad(name, `one of ${values.join(', ')}`);
    return v as T;
  }

  /** Bytes, of exactly `length` when given. */
  bytes(name: string, length?: number): Uint8Array {
    const v = this.map[name];
    if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) throw this.bad(name, length === undefined ? 'bytes' : `${length} bytes`);
    return v;
  }

  /** A map of strings to strings, with at most `maxEntries` entries of at most `max` characters each. */
  stringMap(name: string, maxEntries = Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Record<string, string> {
    const v = this.map[name];
    const limits = maxEntries === Number.MAX_SAFE_INTEGER ? '' : ` (at most ${maxEntries} entries of at most ${max} characters)`;
    if (!isMap(v)) throw this.bad(name, `a map of strings${limits}`);
    const entries = Object.entries(v);
    if (entries.length > maxEntries || entries.some(([k, x]) => typeof x !== 'string' || k.length > max || x.length > max)) {
      throw this.bad(name, `a map of strings${limits}`);
    }
    return Object.fromEntries(entries) as Record<string, string>;
  }

  /** An optional map of strings to strings (contents are checked further by the caller). */
  optionalStringMap(name: string): Record<string, string> | undefined {
    return this.map[name] === undefined ? undefined : this.stringMap(name);
  }

  /** A list of at most `maxItems` strings of at most `max` characters each. */
  stringList(name: string, maxItems = Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): string[] {
    const v = this.map[name];
    const limits = maxItems === Number.MAX_SAFE_INTEGER ? '' : ` (at most ${maxItems} of at most ${max} characters)`;
    if (!Array.isArray(v) || v.length > maxItems || v.some((x) => typeof x !== 'string' || x.length > max)) throw this.bad(name, `a list of strings${limits}`);
    return [...(v as string[])];
  }

  /** An optional list of strings. */
  optionalStringList(name: string): string[] | undefined {
    return this.map[name] === undefined ? undefined : this.stringList(name);
  }

  /** A list of maps. */
  mapList(name: string): ParamMap[] {
    const v = this.map[name];
    if (!Array.isArray(v) || v.some((x) => !isMap(x))) throw this.bad(name, 'a list of maps');
    return v as ParamMap[];
  }

  /** A map. */
  nested(name: string): ParamMap {
    const v = this.map[name];
    if (!isMap(v)) throw this.bad(name, 'a map');
    return v;
  }

  /** An optional map. */
  optionalMap(name: string): ParamMap | undefined {
    return this.map[name] === undefined ? undefined : this.nested(name);
  }
}
