import { attributesProblem, MAX_ATTRIBUTES } from '../core/credential/attributes.js';
import { ROLE_ATTRIBUTE } from '../core/credential/role-attribute.js';
import { InvalidInputError } from '../core/errors.js';

/** Credential and member attributes: string keys to string values. */
export type Attributes = Readonly<Record<string, string>>;

/** The attribute that carries a member's allowed relay names, comma-separated and sorted. */
export const RELAY_ATTRIBUTE = 'relay';

const RELAY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks attributes with the same rule credentials use (core/credential/attributes.ts:
 * names, reserved names, count and value sizes), so whatever a ticket or an admin grants
 * can always be issued in a credential, and refuses `role`, which the authority sets to the
 * member's role in every credential; returns a sorted plain copy.
 */
export function validateAttributes(attributes: unknown, what = 'attributes'): Record<string, string> {
  const problem = attributesProblem(attributes);
  if (problem) throw new InvalidInputError('authority', `${what}: ${problem}`);
  const names = Object.keys(attributes as Record<string, string>);
  if (names.includes(ROLE_ATTRIBUTE)) throw new InvalidInputError('authority', `${what}: attribute name ${ROLE_ATTRIBUTE} is reserved (the authority sets it to the member's role)`);
  if (names.length >= MAX_ATTRIBUTES) throw new InvalidInputError('authority', `${what}: more than ${MAX_ATTRIBUTES - 1} attributes (credentials also carry ${ROLE_ATTRIBUTE})`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
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
