import { InvalidInputError } from '../../core/errors.js';
import type { WireMap } from './protocol.js';

function bad(name: string, expected: string): InvalidInputError {
  return new InvalidInputError('authority', `parameter "${name}" must be ${expected}`);
}

/**
 * Reads the fields of a request's params or a response's result, checking each type at
 * the boundary. Every reader throws InvalidInputError naming the field.
 */
export class Params {
  constructor(private readonly map: WireMap) {}

  /** Throws unless every key of the map is one of `known`. */
  only(...known: string[]): this {
    const extra = Object.keys(this.map).filter((k) => !known.includes(k));
    if (extra.length > 0) throw new InvalidInputError('authority', `unknown parameter "${extra[0]!.slice(0, 64)}"`);
    return this;
  }

  /** A string of 1..`max` characters. */
  string(name: string, max = 1024): string {
    const v = this.map[name];
    if (typeof v !== 'string' || v.length === 0 || v.length > max) throw bad(name, `text of 1-${max} characters`);
    return v;
  }

  /** An optional string of 1..`max` characters. */
  optionalString(name: string, max = 1024): string | undefined {
    return this.map[name] === undefined ? undefined : this.string(name, max);
  }

  /** A non-negative safe integer. */
  integer(name: string): number {
    const v = this.map[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(name, 'a non-negative integer');
    return v;
  }

  /** An optional non-negative safe integer. */
  optionalInteger(name: string): number | undefined {
    return this.map[name] === undefined ? undefined : this.integer(name);
  }

  /** An optional boolean. */
  optionalBoolean(name: string): boolean | undefined {
    const v = this.map[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw bad(name, 'true or false');
    return v;
  }

  /** Bytes, of exactly `length` when given. */
  bytes(name: string, length?: number): Uint8Array {
    const v = this.map[name];
    if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) throw bad(name, length === undefined ? 'bytes' : `${length} bytes`);
    return v;
  }

  /** An optional map of strings to strings (contents are checked further by the Authority). */
  optionalStringMap(name: string): Record<string, string> | undefined {
    const v = this.map[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw bad(name, 'a map of strings');
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.some(([, x]) => typeof x !== 'string')) throw bad(name, 'a map of strings');
    return Object.fromEntries(entries) as Record<string, string>;
  }

  /** An optional list of strings. */
  optionalStringList(name: string): string[] | undefined {
    const v = this.map[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(name, 'a list of strings');
    return [...(v as string[])];
  }

  /** A list of maps. */
  mapList(name: string): WireMap[] {
    const v = this.map[name];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x) || x instanceof Uint8Array)) throw bad(name, 'a list of maps');
    return v as WireMap[];
  }

  /** A map. */
  nested(name: string): WireMap {
    const v = this.map[name];
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw bad(name, 'a map');
    return v as WireMap;
  }

  /** An optional map. */
  optionalMap(name: string): WireMap | undefined {
    return this.map[name] === undefined ? undefined : this.nested(name);
  }
}
