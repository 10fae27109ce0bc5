/** Default lifetime of an issued credential: 1 hour. */
export const DEFAULT_CREDENTIAL_TTL_MS = 60 * 60 * 1000;
/** Nodes refresh a credential when this fraction of its lifetime remains (20%). */
export const CREDENTIAL_REFRESH_FRACTION = 0.2;
/** Shortest credential lifetime an authority issues: 1 minute. */
export const MIN_CREDENTIAL_TTL_MS = 60 * 1000;
/** Longest credential lifetime an authority issues: 30 days. */
export const MAX_CREDENTIAL_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Default ticket lifetime: 10 minutes. */
export const DEFAULT_TICKET_TTL_MS = 10 * 60 * 1000;

/**
 * When a node should fetch a new credential: once 20% of the lifetime remains
 * (12 minutes before expiry for the default hour), and never later than 60 s before expiry.
 */
export function credentialRefreshAt(createdAt: number, expiresAt: number): number {
  const lifetime = Math.max(0, expiresAt - createdAt);
  return Math.max(createdAt, Math.min(expiresAt - Math.floor(lifetime * CREDENTIAL_REFRESH_FRACTION), expiresAt - 60_000));
}
