import { InvalidInputError } from '../../core/errors.js';
import { DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE } from '../../core/channel/secure-channel-listener.js';
import { TCP_LIMIT_DEFAULTS } from '../../core/transport/tcp-transport.js';
import type { TcpTransportOptions } from '../../core/transport/tcp-transport.js';

/**
 * The bounds on what peers may make a node hold (`node create --limit NAME=VALUE`), by
 * their CLI name: the option each sets and its default. See docs/threat-model.md.
 */
export const NODE_LIMITS = Object.freeze({
  'connections': { option: 'maxIncomingConnections', default: TCP_LIMIT_DEFAULTS.maxIncomingConnections },
  'connections-per-source': { option: 'maxConnectionsPerSource', default: TCP_LIMIT_DEFAULTS.maxConnectionsPerSource },
  'buffered-bytes': { option: 'maxBufferedBytesTotal', default: TCP_LIMIT_DEFAULTS.maxBufferedBytesTotal },
  'buffered-bytes-per-source': { option: 'maxBufferedBytesPerSource', default: TCP_LIMIT_DEFAULTS.maxBufferedBytesPerSource },
  'partial-frame-bytes': { option: 'maxPartialFrameBytesTotal', default: TCP_LIMIT_DEFAULTS.maxPartialFrameBytesTotal },
  'partial-frame-bytes-per-source': { option: 'maxPartialFrameBytesPerSource', default: TCP_LIMIT_DEFAULTS.maxPartialFrameBytesPerSource },
  'pending-handshakes': { option: 'maxPendingHandshakes', default: DEFAULT_MAX_PENDING_HANDSHAKES },
  'pending-handshakes-per-source': { option: 'maxPendingHandshakesPerSource', default: DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE },
} as const);

/** A limit's CLI name. */
export type NodeLimitName = keyof typeof NODE_LIMITS;

/** Limits a node is configured with, by CLI name (absent: the default). */
export type NodeLimits = Readonly<Partial<Record<NodeLimitName, number>>>;

/** Parses `NAME=VALUE` settings (`--limit`); throws InvalidInputError naming the bad one. */
export function parseNodeLimits(settings: readonly string[]): NodeLimits {
  const limits: Partial<Record<NodeLimitName, number>> = {};
  for (const setting of settings) {
    const at = setting.indexOf('=');
    const name = setting.slice(0, at);
    const value = Number(setting.slice(at + 1));
    if (at < 1 || !Object.hasOwn(NODE_LIMITS, name)) {
      throw new InvalidInputError('cli', `unknown limit '${setting}': use NAME=VALUE with NAME one of ${Object.keys(NODE_LIMITS).join(', ')}`);
    }
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidInputError('cli', `limit ${name} must be a positive integer`);
    limits[name as NodeLimitName] = value;
  }
  return limits;
}

/** Reads limits from a saved configuration, keeping only known names with valid values. */
export function readNodeLimits(value: unknown): NodeLimits {
  if (typeof value !== 'object' || value === null) return {};
  const limits: Partial<Record<NodeLimitName, number>> = {};
  for (const [name, v] of Object.entries(value)) {
    if (Object.hasOwn(NODE_LIMITS, name) && Number.isSafeInteger(v) && (v as number) >= 1) limits[name as NodeLimitName] = v as number;
  }
  return limits;
}

/** The transport options of `limits`. */
export function transportLimits(limits: NodeLimits): TcpTransportOptions {
  const options: Record<string, number> = {};
  for (const [name, value] of Object.entries(limits)) {
    const option = NODE_LIMITS[name as NodeLimitName].option;
    if (!option.startsWith('maxPendingHandshakes')) options[option] = value;
  }
  return options as TcpTransportOptions;
}

/** The secure channel listener options of `limits`. */
export function listenerLimits(limits: NodeLimits): { maxPendingHandshakes?: number; maxPendingHandshakesPerSource?: number } {
  return {
    ...(limits['pending-handshakes'] !== undefined ? { maxPendingHandshakes: limits['pending-handshakes'] } : {}),
    ...(limits['pending-handshakes-per-source'] !== undefined ? { maxPendingHandshakesPerSource: limits['pending-handshakes-per-source'] } : {}),
  };
}
