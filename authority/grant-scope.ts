import { InvalidInputError } from '../core/errors.js';
import { RELAY_ATTRIBUTE, validateRelayNames, type Attributes } from './attributes.js';

/**
 * What an enroller may put into the tickets it creates: attribute grants (`name=value`,
 * or `name=*` for any value of `name`) and relay names. Anything outside it is refused.
 * An empty scope (the default) lets an enroller create only tickets that grant nothing.
 */
export interface GrantScope {
  /** Sorted, unique `name=value` / `name=*` entries. */
  readonly attributes: readonly string[];
  /** Sorted, unique relay names. */
  readonly relays: readonly string[];
}

/** The scope of an enroller for whom the admin listed nothing. */
export const EMPTY_GRANT_SCOPE: GrantScope = Object.freeze({ attributes: Object.freeze([]), relays: Object.freeze([]) });

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks and normalises a scope: attribute entries `name=value` or `name=*` (names as
 * credential attribute names; `relay` is refused: relay names have their own list), relay
 * names as {@link validateRelayNames}. Throws InvalidInputError naming the bad entry.
 */
export function validateGrantScope(attributes: readonly unknown[] = [], relays: readonly unknown[] = []): GrantScope {
  const entries = new Set<string>();
  for (const entry of attributes) {
    const text = typeof entry === 'string' ? entry : '';
    const eq = text.indexOf('=');
    const name = eq > 0 ? text.slice(0, eq) : '';
    const value = eq > 0 ? text.slice(eq + 1) : '';
    if (!NAME_RE.test(name) || value.length === 0 || value.length > 1024) {
      throw new InvalidInputError('authority', `may-grant entry ${JSON.stringify(String(entry).slice(0, 80))} must be NAME=VALUE or NAME=*`);
    }
    if (name === RELAY_ATTRIBUTE) throw new InvalidInputError('authority', 'give relay names an enroller may grant as relay names (--may-grant-relay), not as a "relay" attribute');
    entries.add(`${name}=${value}`);
  }
  return { attributes: [...entries].sort(), relays: validateRelayNames(relays) };
}

/** True when the scope grants nothing. */
export function isEmptyScope(scope: GrantScope): boolean {
  return scope.attributes.length === 0 && scope.relays.length === 0;
}

/**
 * The first grant of a ticket (its attributes and relay names) that `scope` does not
 * allow, as text (`attribute component=analysis`, `relay postgres`), or undefined when
 * the scope covers them all.
 */
export function outsideScope(scope: GrantScope, attributes: Attributes, relays: readonly string[]): string | undefined {
  for (const [name, value] of Object.entries(attributes)) {
    if (name === RELAY_ATTRIBUTE) return `attribute ${name}=${value} (relay names are granted as relays)`;
    if (!scope.attributes.includes(`${name}=${value}`) && !scope.attributes.includes(`${name}=*`)) return `attribute ${name}=${value}`;
  }
  for (const relay of relays) if (!scope.relays.includes(relay)) return `relay ${relay}`;
  return undefined;
}

/** The stored form (JSON text) of a scope. */
export function grantScopeToText(scope: GrantScope): string {
  return JSON.stringify({ attributes: scope.attributes, relays: scope.relays });
}

/** Reads the stored form; absent (NULL) is the empty scope. */
export function grantScopeFromText(text: unknown): GrantScope {
  if (text === null || text === undefined || text === '') return EMPTY_GRANT_SCOPE;
  const value = JSON.parse(String(text)) as { attributes?: string[]; relays?: string[] };
  return { attributes: value.attributes ?? [], relays: value.relays ?? [] };
}
