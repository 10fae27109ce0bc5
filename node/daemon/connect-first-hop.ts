import { AbortedError } from '../../core/errors.js';
import type { Route } from '../../core/routing/message.js';
import { LOCAL } from '../../core/routing/address.js';
import type { TransportConnectionInfo } from '../../core/transport/transport.js';
import type { TransportSet } from '../../core/transport/transport-set.js';

/** How long a connect made to fail fast may take before it counts as failed, in ms. */
export const FIRST_HOP_CONNECT_TIMEOUT_MS = 5_000;

/**
 * When `route` starts with a transport hop (e.g. `tcp`), opens (or reuses) that
 * connection first, so a refused or unreachable address fails at once with the
 * transport's reason (IoError, e.g. `cannot connect to 127.0.0.1:4000: connect
 * ECONNREFUSED 127.0.0.1:4000`) instead of a message dropped on the way and a reply or
 * handshake that never comes. Routes that start at a local worker (a channel) pass
 * unchanged (undefined); a hop no transport serves fails with NotFoundError. Resolves
 * with the connection.
 */
export async function connectFirstHop(
  transports: Pick<TransportSet, 'get'>,
  route: Route,
  { signal, timeoutMs = FIRST_HOP_CONNECT_TIMEOUT_MS }: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<TransportConnectionInfo | undefined> {
  const first = route[0];
  if (first === undefined || first.type === LOCAL) return undefined;
  if (signal?.aborted) throw new AbortedError('transport', 'connect aborted');
  return await transports.get(first.type).connect(first.value, { timeoutMs, ...(signal ? { signal } : {}) });
}
