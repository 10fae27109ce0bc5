import { InvalidInputError } from '../../../core/errors.js';
import { LOCAL } from '../../../core/routing/address.js';
import { parseRoute } from '../../../core/routing/route.js';

/**
 * Checks the replica routes a project served before a member saves them: each must be one
 * transport hop (`/ip4/…/tcp/PORT`, `/dns/…`, WebSocket or UDP), never a local address or a
 * `/node/NAME` of this home. Returns them unchanged; throws InvalidInputError naming the
 * first bad one (the whole answer is then ignored).
 */
export function checkServedRoutes(routes: readonly string[]): readonly string[] {
  for (const text of routes) {
    let hops;
    try {
      hops = parseRoute(text);
    } catch (cause) {
      throw new InvalidInputError('node', `the project served a replica route that does not parse: ${(cause as Error).message}`, { cause });
    }
    if (hops.length !== 1 || hops[0]!.type === LOCAL) throw new InvalidInputError('node', `the project served a replica route that is not one transport address: '${text}'`);
  }
  return routes;
}
