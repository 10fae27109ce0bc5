import { isIPv4, isIPv6 } from 'node:net';
import { InvalidInputError } from '../errors.js';
import { LOCAL, MAX_ADDRESS_LENGTH, TCP, UDP, WS, formatWsAddress, local, parseWsAddress, tcp, udp, ws } from './address.js';
import type { Address } from './address.js';
import type { Message, Route } from './message.js';

/**
 * Moves a message one hop: pops the first onward hop and pushes `self` onto the front
 * of the return route. Payload and origin are kept.
 */
export function stepForward(message: Message, self: Address): Message {
  return {
    onwardRoute: message.onwardRoute.slice(1),
    returnRoute: [self, ...message.returnRoute],
    payload: message.payload,
    ...(message.origin === undefined ? {} : { origin: message.origin }),
  };
}

/** Options for {@link parseRoute}. */
export interface ParseRouteOptions {
  /** Resolves `/node/NAME` to the route that reaches that node (usually its TCP listener). */
  resolveNode?: (name: string) => Route;
}

/**
 * Parses multiaddr-style route text. Segments concatenate, first hop first:
 * `/service/NAME`, `/secure/NAME`, `/worker/NAME` (local addresses),
 * `/ip4/A.B.C.D/tcp/PORT`, `/ip6/ADDR/tcp/PORT`, `/dns/HOST/tcp/PORT` (TCP hops), the same
 * followed by `/ws` or `/wss` and optionally `/path/PATH` (WebSocket hops:
 * `/dns/proxy.example/tcp/443/wss/path/symbolon` is `wss://proxy.example:443/symbolon`) and
 * `/ip4/A.B.C.D/udp/PORT`, `/ip6/ADDR/udp/PORT`, `/dns/HOST/udp/PORT` (UDP hops) and
 * `/node/NAME` (resolved through `options.resolveNode`). Values may percent-encode
 * `%` and `/` as `%25` and `%2F`. `/` alone is the empty route.
 * Throws InvalidInputError naming the offending segment.
 */
export function parseRoute(text: string, options: ParseRouteOptions = {}): Route {
  if (typeof text !== 'string') throw new InvalidInputError('routing', 'route must be text');
  if (text === '' || text === '/') return [];
  if (!text.startsWith('/')) throw new InvalidInputError('routing', `route must start with '/', got '${text}'`);
  const parts = text.slice(1).split('/');
  if (parts[parts.length - 1] === '') parts.pop();
  const route: Address[] = [];
  let i = 0;
  const take = (protocol: string): string => {
    const raw = parts[i + 1];
    if (raw === undefined || raw === '') {
      throw new InvalidInputError('routing', `route segment '/${protocol}' needs a value`);
    }
    i += 2;
    return unescapeValue(raw, protocol);
  };
  while (i < parts.length) {
    const protocol = parts[i]!;
    switch (protocol) {
      case 'service':
      case 'secure':
      case 'worker': {
        const value = take(protocol);
        route.push(localSegment(value, protocol));
        break;
      }
      case 'ip4':
      case 'ip6':
      case 'dns': {
        const host = take(protocol);
        if (protocol === 'ip4' && !isIPv4(host)) {
          throw new InvalidInputError('routing', `route segment '/ip4/${host}' is not an IPv4 address`);
        }
        if (protocol === 'ip6' && !isIPv6(host)) {
          throw new InvalidInputError('routing', `route segment '/ip6/${host}' is not an IPv6 address`);
        }
        if (parts[i] === 'udp') {
          const udpPort = take('udp');
          if (!/^\d{1,5}$/.test(udpPort) || Number(udpPort) > 65535) {
            throw new InvalidInputError('routing', `route segment '/udp/${udpPort}' is not a port number`);
          }
          route.push(hostPortSegment(protocol === 'ip6' ? `[${host}]:${udpPort}` : `${host}:${udpPort}`, protocol, udp));
          break;
        }
        if (parts[i] !== 'tcp') {
          throw new InvalidInputError('routing', `route segment '/${protocol}/${host}' must be followed by /tcp/PORT or /udp/PORT`);
        }
        const port = take('tcp');
        if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
          throw new InvalidInputError('routing', `route segment '/tcp/${port}' is not a port number`);
        }
        if (parts[i] === 'ws' || parts[i] === 'wss') {
          const secure = parts[i] === 'wss';
          i += 1;
          let path = '/';
          if (parts[i] === 'path') path = `/${take('path')}`;
          route.push(wsSegment({ secure, host, port: Number(port), path }, protocol));
          break;
        }
        route.push(tcpSegment(protocol === 'ip6' ? `[${host}]:${port}` : `${host}:${port}`, protocol));
        break;
      }
      case 'node': {
        const name = take('node');
        if (!options.resolveNode) {
          throw new InvalidInputError('routing', `route segment '/node/${name}' cannot be resolved here`);
        }
        route.push(...options.resolveNode(name));
        break;
      }
      case '':
        throw new InvalidInputError('routing', `route '${text}' has an empty segment`);
      default:
        throw new InvalidInputError('routing', `unknown route segment '/${protocol}' in '${text}'`);
    }
  }
  return route;
}

/**
 * Prints a route so that `parseRoute(formatRoute(r))` equals `r`: local addresses as
 * `/service/NAME`, TCP addresses as `/ip4/../tcp/..`, `/ip6/../tcp/..` or `/dns/../tcp/..`
 * (UDP addresses the same with `/udp/..`),
 * WebSocket addresses as the same plus `/ws` or `/wss` and `/path/..` unless the path is `/`.
 */
export function formatRoute(route: Route): string {
  if (route.length === 0) return '/';
  let out = '';
  for (const a of route) {
    if (a.type === LOCAL) {
      out += `/service/${escapeValue(a.value)}`;
    } else if (a.type === TCP || a.type === UDP) {
      const cut = a.value.lastIndexOf(':');
      const host = a.value.slice(0, cut);
      const port = a.value.slice(cut + 1);
      if (isIPv4(host)) out += `/ip4/${host}`;
      else if (host.startsWith('[') && host.endsWith(']') && isIPv6(host.slice(1, -1))) {
        out += `/ip6/${escapeValue(host.slice(1, -1))}`;
      } else out += `/dns/${escapeValue(host)}`;
      out += a.type === TCP ? `/tcp/${port}` : `/udp/${port}`;
    } else if (a.type === WS) {
      const { secure, host, port, path } = parseWsAddress(a.value);
      if (isIPv4(host)) out += `/ip4/${host}`;
      else if (isIPv6(host)) out += `/ip6/${escapeValue(host)}`;
      else out += `/dns/${escapeValue(host)}`;
      out += `/tcp/${port}/${secure ? 'wss' : 'ws'}`;
      if (path !== '/') out += `/path/${escapeValue(path.slice(1))}`;
    } else {
      throw new InvalidInputError('routing', `unknown address type ${String((a as Address).type)}`);
    }
  }
  return out;
}

function localSegment(value: string, protocol: string): Address {
  if (Buffer.byteLength(value) > MAX_ADDRESS_LENGTH) {
    throw new InvalidInputError('routing', `route segment '/${protocol}' value is longer than ${MAX_ADDRESS_LENGTH} bytes`);
  }
  return local(value);
}

function tcpSegment(hostPort: string, protocol: string): Address {
  return hostPortSegment(hostPort, protocol, tcp);
}

function hostPortSegment(hostPort: string, protocol: string, make: (hostPort: string) => Address): Address {
  if (Buffer.byteLength(hostPort) > MAX_ADDRESS_LENGTH) {
    throw new InvalidInputError('routing', `route segment '/${protocol}' address is longer than ${MAX_ADDRESS_LENGTH} bytes`);
  }
  return make(hostPort);
}

function wsSegment(endpoint: { secure: boolean; host: string; port: number; path: string }, protocol: string): Address {
  const url = formatWsAddress(endpoint);
  try {
    return ws(url);
  } catch (cause) {
    throw new InvalidInputError('routing', `route segment '/${protocol}' does not make a WebSocket address (${url}): host and path must be URL characters, at most ${MAX_ADDRESS_LENGTH} bytes in all`, { cause });
  }
}

/** Percent-encodes the two characters that cannot appear raw in a segment value. */
function escapeValue(value: string): string {
  return value.replace(/%/g, '%25').replace(/\//g, '%2F');
}

function unescapeValue(raw: string, protocol: string): string {
  if (!raw.includes('%')) return raw;
  return raw.replace(/%(..)?/g, (_m, hex: string | undefined) => {
    const upper = hex?.toUpperCase();
    if (upper === '25') return '%';
    if (upper === '2F') return '/';
    throw new InvalidInputError('routing', `route segment '/${protocol}/${raw}' has a bad escape (use %25 or %2F)`);
  });
}
