import { InvalidInputError } from '../errors.js';

/** Most attributes one credential may carry. */
export const MAX_ATTRIBUTES = 64;
/** Attribute names: a letter, then up to 63 letters, digits, `_`, `.`, `-` or `:`. */
export const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
/** Largest attribute value in UTF-8 bytes. */
export const MAX_ATTRIBUTE_VALUE_BYTES = 1024;
/** Names no credential may set (the channel fills them in itself). */
export const RESERVED_ATTRIBUTE_NAMES: readonly string[] = ['identifier'];

/** Returns why `value` is not a valid attribute map, or undefined when it is. */
export function attributesProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return 'attributes must be a map';
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return 'attributes must be a plain map';
  const entries = Object.entries(value);
  if (entries.length > MAX_ATTRIBUTES) return `more than ${MAX_ATTRIBUTES} attributes`;
  for (const [name, v] of entries) {
    if (!ATTRIBUTE_NAME_PATTERN.test(name)) return `attribute name ${JSON.stringify(name.slice(0, 70))} is not allowed`;
    if (RESERVED_ATTRIBUTE_NAMES.includes(name)) return `attribute name ${name} is reserved`;
    if (typeof v !== 'string') return `attribute ${name} must be a string`;
    if (Buffer.byteLength(v, 'utf8') > MAX_ATTRIBUTE_VALUE_BYTES) return `attribute ${name} is longer than ${MAX_ATTRIBUTE_VALUE_BYTES} bytes`;
  }
  return undefined;
}

/** Throws InvalidInputError unless `value` is a valid attribute map; returns a frozen copy. */
export function checkedAttributes(value: unknown): Readonly<Record<string, string>> {
  const problem = attributesProblem(value);
  if (problem) throw new InvalidInputError('credential', problem);
  return Object.freeze(Object.fromEntries(Object.entries(value as Record<string, string>)));
}
