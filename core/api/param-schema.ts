import { InvalidInputError } from '../errors.js';
import type { ErrorOrigin } from '../errors.js';
import { Params } from '../params.js';
import type { ParamMap } from '../params.js';

/**
 * Declarative parameter schemas: a method's params are described once as data (field
 * kinds, limits, which are optional, which exclude each other) and checked by one
 * validator, {@link validateParams}. The TypeScript type of the params follows from the
 * schema ({@link ParamsOf}), so a handler receives exactly what was checked.
 */

/** One field of a schema. `T` (never read at run time) is the TypeScript type it yields. */
export type FieldSchema<T = unknown, Optional extends boolean = boolean> = FieldKind & {
  readonly optional: Optional;
  /** Type marker only; never set. */
  readonly __type?: T;
};

/** The kinds of field a schema can hold, with their limits. */
export type FieldKind =
  | { readonly kind: 'string'; readonly min: number; readonly max: number }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'string-map'; readonly maxEntries: number; readonly max: number }
  | { readonly kind: 'string-list'; readonly maxItems: number; readonly max: number };

/** The fields of a method's params, by name. */
export type Fields = Readonly<Record<string, FieldSchema>>;

/** A method's params: its fields, plus groups of which exactly one must be given. */
export interface ParamSchema<F extends Fields = Fields> {
  readonly fields: F;
  /** Each group names fields of which exactly one must be present. */
  readonly exactlyOne: readonly (readonly string[])[];
}

type ValueOf<S> = S extends FieldSchema<infer T, boolean> ? T : never;
type RequiredKeys<F> = { [K in keyof F]: F[K] extends FieldSchema<unknown, true> ? never : K }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends FieldSchema<unknown, true> ? K : never }[keyof F];
type Flatten<T> = { [K in keyof T]: T[K] };

/**
 * The params type a schema accepts: required fields, and optional ones that may be absent
 * (a schema without fields accepts only `{}`).
 */
export type ParamsOf<S extends ParamSchema> = keyof S['fields'] extends never ? { readonly [name: string]: never } : Flatten<
  { readonly [K in RequiredKeys<S['fields']>]: ValueOf<S['fields'][K]> } &
  { readonly [K in OptionalKeys<S['fields']>]?: ValueOf<S['fields'][K]> | undefined }
>;

/** Default longest string, in characters. */
export const DEFAULT_MAX_STRING = 1024;
/** Default most entries of a map or items of a list. */
export const DEFAULT_MAX_ITEMS = 256;

/** Builders of schema fields (`field.string({ max: 64 })`, `field.optional(field.integer())`). */
export const field = {
  /** Text of `min` (default 1) to `max` (default 1024) characters. */
  string({ min = 1, max = DEFAULT_MAX_STRING }: { min?: number; max?: number } = {}): FieldSchema<string, false> {
    return { kind: 'string', min, max, optional: false };
  },
  /** A safe integer from `min` (default 0) to `max`. */
  integer({ min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}): FieldSchema<number, false> {
    return { kind: 'integer', min, max, optional: false };
  },
  /** true or false. */
  boolean(): FieldSchema<boolean, false> {
    return { kind: 'boolean', optional: false };
  },
  /** One of the given strings. */
  enum<const V extends string>(values: readonly V[]): FieldSchema<V, false> {
    return { kind: 'enum', values, optional: false };
  },
  /** A map of strings to strings (keys and values up to `max` characters). */
  stringMap({ maxEntries = DEFAULT_MAX_ITEMS, max = DEFAULT_MAX_STRING }: { maxEntries?: number; max?: number } = {}): FieldSchema<Readonly<Record<string, string>>, false> {
    return { kind: 'string-map', maxEntries, max, optional: false };
  },
  /** A list of strings (each up to `max` characters). */
  stringList({ maxItems = DEFAULT_MAX_ITEMS, max = DEFAULT_MAX_STRING }: { maxItems?: number; max?: number } = {}): FieldSchema<readonly string[], false> {
    return { kind: 'string-list', maxItems, max, optional: false };
  },
  /** The same field, which may be absent (or null, read as absent). */
  optional<T>(inner: FieldSchema<T, false>): FieldSchema<T, true> {
    return { ...inner, optional: true } as FieldSchema<T, true>;
  },
} as const;

/** A schema with `fields` and, optionally, groups of which exactly one field must be given. */
export function schema<const F extends Fields>(fields: F, { exactlyOne = [] }: { exactlyOne?: readonly (readonly (keyof F & string)[])[] } = {}): ParamSchema<F> {
  return { fields, exactlyOne };
}

/** The schema of a method without params. */
export const NO_PARAMS = schema({});

function readField(p: Params, name: string, f: FieldSchema): unknown {
  switch (f.kind) {
    case 'string': return p.string(name, f.max, f.min);
    case 'integer': return p.integer(name, { min: f.min, max: f.max });
    case 'boolean': return p.boolean(name);
    case 'enum': return p.oneOf(name, f.values);
    case 'string-map': return p.stringMap(name, f.maxEntries, f.max);
    case 'string-list': return p.stringList(name, f.maxItems, f.max);
  }
}

/**
 * Checks `raw` against `schema` and returns the params it describes. Throws
 * InvalidInputError (origin `origin`) for the first problem: `unknown parameter "x"`,
 * `missing parameter "x"`, `parameter "x" must be ...`, or `give exactly one of "a" or "b"`.
 * Absent and null optional fields are left out of the result.
 */
export function validateParams<S extends ParamSchema>(schema: S, raw: ParamMap, origin: ErrorOrigin): ParamsOf<S> {
  const names = Object.keys(schema.fields);
  const p = new Params(raw, origin).only(...names);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const f = schema.fields[name]!;
    if (raw[name] === undefined || raw[name] === null) {
      if (!f.optional) throw new InvalidInputError(origin, `missing parameter "${name}"`);
      continue;
    }
    out[name] = readField(p, name, f);
  }
  for (const group of schema.exactlyOne) {
    if (group.filter((name) => out[name] !== undefined).length !== 1) {
      throw new InvalidInputError(origin, `give exactly one of ${group.map((n) => `"${n}"`).join(' or ')}`);
    }
  }
  return out as ParamsOf<S>;
}
