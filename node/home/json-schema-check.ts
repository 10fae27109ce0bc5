/** A path into a JSON value: keys and array indexes. */
export type JsonPath = ReadonlyArray<string | number>;

/** One way a value does not fit its schema. */
export interface SchemaIssue {
  readonly path: JsonPath;
  readonly message: string;
  /** True when the issue is about the key at `path` itself (an unknown key), not its value. */
  readonly atKey?: boolean;
}

/**
 * The subset of JSON Schema (draft 2020-12) that the package's own schemas use: `type`
 * (one or a list), `properties`, `required`, `additionalProperties: false`, `items`,
 * `enum`, `pattern`, `minLength`, `maxLength`, `minimum`, `maximum`, `uniqueItems`.
 * Annotations (`description`, `title`, `$id` ...) are ignored.
 */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly uniqueItems?: boolean;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fits(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** Checks `value` against `schema` (the subset above); returns every issue found, in document order. */
export function checkSchema(value: unknown, schema: JsonSchema, path: JsonPath = []): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => fits(value, t))) {
      issues.push({ path, message: `must be ${types.map(article).join(' or ')}, not ${article(typeOf(value))}` });
      return issues;
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    issues.push({ path, message: `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}` });
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) issues.push({ path, message: value === '' ? 'must not be empty' : `must have at least ${schema.minLength} characters` });
    if (schema.maxLength !== undefined && value.length > schema.maxLength) issues.push({ path, message: `must have at most ${schema.maxLength} characters` });
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) issues.push({ path, message: `'${value}' does not match ${schema.pattern}` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) issues.push({ path, message: `must be at least ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) issues.push({ path, message: `must be at most ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    if (schema.items !== undefined) value.forEach((item, i) => issues.push(...checkSchema(item, schema.items!, [...path, i])));
    if (schema.uniqueItems) {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const key = JSON.stringify(item);
        if (seen.has(key)) issues.push({ path: [...path, i], message: `${key} is listed twice` });
        seen.add(key);
      });
    }
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(object, key)) issues.push({ path, message: `'${key}' is required` });
    }
    for (const [key, child] of Object.entries(object)) {
      const sub = schema.properties?.[key];
      if (sub !== undefined) issues.push(...checkSchema(child, sub, [...path, key]));
      else if (schema.additionalProperties === false) {
        const known = Object.keys(schema.properties ?? {});
        issues.push({ path: [...path, key], atKey: true, message: `unknown key${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}` });
      }
    }
  }
  return issues;
}

/** `tcp-inlets[1].allow`: a path as it reads in messages. */
export function formatJsonPath(path: JsonPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(top level)' : out;
}
