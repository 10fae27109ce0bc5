import { isIdentifier } from '../identity/identifier.js';

/**
 * A member node's management route: every member node keeps the relay `member.<identifier>`
 * registered at its project node (named after its own identity), so the project's admins
 * can reach the node's policy service through the project. The project node lets only the
 * named identity register it and only admins send through it; the member node checks the
 * sender's credential again itself.
 */
export const MEMBER_ROUTE_PREFIX = 'member.';

/** The relay name of `identifier`'s management route. */
export function memberRouteName(identifier: string): string {
  return `${MEMBER_ROUTE_PREFIX}${identifier}`;
}

/** The identifier a relay name is the management route of, or undefined for any other relay name. */
export function memberRouteOwner(relayName: string): string | undefined {
  if (!relayName.startsWith(MEMBER_ROUTE_PREFIX)) return undefined;
  const identifier = relayName.slice(MEMBER_ROUTE_PREFIX.length);
  return isIdentifier(identifier) ? identifier : undefined;
}

/** True for relay names in the management-route namespace (`member.` + anything). */
export function isMemberRouteName(relayName: string): boolean {
  return relayName.startsWith(MEMBER_ROUTE_PREFIX);
}
