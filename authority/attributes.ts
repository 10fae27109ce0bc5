import { InvalidInputError } from '../core/errors.js';

/** Credential and member attributes: string keys to string values. */
export type Attributes = Readonly<Record<string, string>>;

/** The attribute that carries a member's allowed relay names, comma-separated and sorted. */
export const RELAY_ATTRIBUTE = 'relay';

/** Names policies use for the subject itself; never accepted as attribute keys. */
const RESERVED_KEYS = new Set(['identifier']);
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RELAY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const MAX_ATTRIBUTES = 64;
const MAX_VALUE_LENGTH = 1024;

/**
 * Checks attribute keys (CEL identifiers, at most 64 characters, not reserved) and
 * values (strings of at most 1024 characters) and returns a sorted plain copy.
 */
export function validateAttributes(attributes: unknown, what = 'attributes'): Record<string, string> {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new InvalidInputError('authority', `${what} must be a map of strings`);
  }
  const entries = Object.entries(attributes as Record<string, unknown>);
  if (entries.length > MAX_ATTRIBUTES) throw new InvalidInputError('authority', `${what}: at most ${MAX_ATTRIBUTES} attributes`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!KEY_RE.test(key)) throw new InvalidInputError('authority', `${what}: invalid attribute name ${JSON.stringify(key.slice(0, 70))}`);
    if (RESERVED_KEYS.has(key)) throw new InvalidInputError('authority', `${what}: attribute name "${key}" is reserved`);
    if (typeof value !== 'string') throw new InvalidInputError('authority', `${what}: attribute "${key}" must be a string`);
    if (value.length > MAX_VALUE_LENGTH) throw new InvalidInputError('authority', `${what}: attribute "${key}" is longer than ${MAX_VALUE_LENGTH} characters`);
    out[key] = value;
  }
  return out;
}

/** Checks relay names (letters, digits, `_ . -`, at most 64 characters) and returns them sorted and unique. */
export function validateRelayNames(relays: readonly unknown[]): string[] {
  const out = new Set<string>();
  for (const name of relays) {
    if (typeof name !== 'string' || !RELAY_RE.test(name)) {
      throw new InvalidInputError('authority', `invalid relay name ${JSON.stringify(String(name).slice(0, 70))}`);
    }
    out.add(name);
  }
  return [...out].sort();
}

/** The attributes a ticket grants: its own attributes plus `relay` when it names relays. */
export function grantedAttributes(attributes: Attributes, relays: readonly string[]): Record<string, string> {
  const out: Record<string, string> = { ...attributes };
  if (relays.length > 0) out[RELAY_ATTRIBUTE] = [...relays].sort().join(',');
  return out;
}
