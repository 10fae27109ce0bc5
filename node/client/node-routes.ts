import { IoError, NotFoundError } from '../../core/errors.js';
import { tcp } from '../../core/routing/address.js';
import type { Route } from '../../core/routing/message.js';
import { parseRoute } from '../../core/routing/route.js';
import type { Home } from '../home/home.js';
import { readNodeState, runningPid } from '../home/node-state.js';

/** A host a peer can dial for a listener bound to a wildcard address. */
function dialable(hostPort: string): string {
  if (hostPort.startsWith('0.0.0.0:')) return `127.0.0.1:${hostPort.slice('0.0.0.0:'.length)}`;
  if (hostPort.startsWith('[::]:')) return `[::1]:${hostPort.slice('[::]:'.length)}`;
  return hostPort;
}

/**
 * Resolves `/node/NAME` to the TCP listener of node NAME in `home`, read from its state.
 * Throws NotFoundError for an unknown node and IoError for a node that is not running.
 */
export function nodeResolver(home: Home): (name: string) => Route {
  return (name) => {
    if (!home.hasNode(name)) throw new NotFoundError('cli', `node '${name}' does not exist`);
    const state = readNodeState(home, name);
    if (!state || runningPid(home, name) === undefined) throw new IoError('cli', `node '${name}' is not running`);
    return [tcp(dialable(state.tcpListenerAddress))];
  };
}

/** Parses route text, resolving `/node/NAME` segments against `home`. */
export function parseRouteInHome(home: Home, text: string): Route {
  return parseRoute(text, { resolveNode: nodeResolver(home) });
}
