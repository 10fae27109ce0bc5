import { mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { InvalidInputError, IoError, NotFoundError } from '../../core/errors.js';
import { parseHostPort } from '../../core/transport/host-port.js';
import type { Home } from './home.js';
import { withFileLock } from './file-lock.js';
import { readNodeLimits } from './node-limits.js';
import type { NodeLimits } from './node-limits.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';
import { readLogLimits, type LogLimits } from './log-limits.js';
import { readMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.js';

/** Default TCP listener address of a new node: loopback, a free port. */
export const DEFAULT_TCP_LISTENER = '127.0.0.1:0';

/**
 * How a node process collects garbage: `auto` (default) picks `single-threaded` on small
 * machines (see node/client/daemon-command.ts), `parallel` keeps V8's helper threads.
 */
export type GcMode = 'auto' | 'single-threaded' | 'parallel';

/** The GC modes a node configuration may name. */
export const GC_MODES: readonly GcMode[] = ['auto', 'single-threaded', 'parallel'];

/**
 * A node's persisted configuration (`nodes/<name>/config.json`). `sections` holds what each
 * daemon service persists (inlets, outlets, relays, policies ...), keyed by service name;
 * a node restores them when it restarts.
 */
export interface NodeConfig {
  readonly version: 1;
  readonly name: string;
  /** The configured listener address; port 0 picks a free port at each start. */
  readonly tcpListenerAddress: string;
  /** A WebSocket listener address (HOST:PORT, plain ws: TLS ends at a proxy); absent: none. */
  readonly wsListenerAddress?: string;
  /** A UDP listener address (HOST:PORT, an IP address); absent: none (outgoing UDP still works). */
  readonly udpListenerAddress?: string;
  /**
   * `HOST:PORT` destinations to which messages from other nodes may be forwarded directly
   * (see Node's `allowForwardingTo`); empty: none, the node is no proxy. A configuration
   * written before destinations had to be named (`true`) reads as none.
   */
  readonly allowTcpForwarding?: readonly string[];
  /** Bounds on what peers may make the node hold (see node-limits.ts); absent ones take their default. */
  readonly limits?: NodeLimits;
  /** How the node process collects garbage (absent: `auto`). */
  readonly gc?: GcMode;
  readonly createdAt: string;
  /** Size bounds of the node's log (absent: DEFAULT_LOG_LIMITS). */
  readonly log?: LogLimits;
  /** The metrics and health endpoint (absent: none). */
  readonly metrics?: MetricsEndpoint;
  readonly sections: Readonly<Record<string, unknown>>;
}

/** Checks a `HOST:PORT` listener address (of `kind`, default TCP); returns it unchanged. */
export function validateListenerAddress(hostPort: string, kind = 'TCP'): string {
  try {
    parseHostPort(hostPort, { allowZero: true });
  } catch (err) {
    throw new InvalidInputError('cli', `invalid ${kind} listener address '${hostPort}': use HOST:PORT, e.g. 127.0.0.1:4000 (${(err as Error).message})`, { cause: err });
  }
  return hostPort;
}

/** Checks a UDP listener address: an IP address (a UDP socket binds to one) and a port; returns it unchanged. */
export function validateUdpListenerAddress(hostPort: string): string {
  validateListenerAddress(hostPort, 'UDP');
  const { host } = parseHostPort(hostPort, { allowZero: true });
  if (isIP(host) === 0) throw new InvalidInputError('cli', `invalid UDP listener address '${hostPort}': the host must be an IP address, e.g. 0.0.0.0:4000`);
  return hostPort;
}

/** Checks a `HOST:PORT` forwarding destination (`--allow-tcp-forwarding`); returns it unchanged. */
export function validateForwardingDestination(hostPort: string): string {
  try {
    parseHostPort(hostPort);
  } catch (err) {
    throw new InvalidInputError('cli', `invalid forwarding destination '${hostPort}': use HOST:PORT, e.g. 10.0.0.5:4000 (${(err as Error).message})`, { cause: err });
  }
  return hostPort;
}

/** Reads node `name`'s configuration; throws NotFoundError when the node does not exist. */
export function readNodeConfig(home: Home, name: string): NodeConfig {
  const path = home.node(name).config;
  const value = readJsonFile(path);
  if (value === undefined) throw new NotFoundError('cli', `node '${name}' does not exist`);
  if (!isObject(value) || typeof value.tcpListenerAddress !== 'string') {
    throw new InvalidInputError('cli', `'${path}' is not a node configuration`);
  }
  return {
    version: 1,
    name,
    tcpListenerAddress: value.tcpListenerAddress,
    allowTcpForwarding: Array.isArray(value.allowTcpForwarding) ? value.allowTcpForwarding.filter((d): d is string => typeof d === 'string') : [],
    limits: readNodeLimits(value.limits),
    ...(GC_MODES.includes(value.gc as GcMode) ? { gc: value.gc as GcMode } : {}),
    ...(typeof value.wsListenerAddress === 'string' ? { wsListenerAddress: value.wsListenerAddress } : {}),
    ...(typeof value.udpListenerAddress === 'string' ? { udpListenerAddress: value.udpListenerAddress } : {}),
    createdAt: typeof value.createdAt === 'string' ? value.createdAt : new Date(0).toISOString(),
    ...(isObject(value.log) ? { log: readLogLimits(value.log) } : {}),
    ...(value.metrics !== undefined ? { metrics: readMetricsEndpoint(value.metrics)! } : {}),
    sections: isObject(value.sections) ? value.sections : {},
  };
}

/** Writes node configuration atomically (0600), creating the node folder (0700) if needed. */
export function writeNodeConfig(home: Home, config: NodeConfig): void {
  home.ensure();
  const paths = home.node(config.name);
  try {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new IoError('cli', `cannot create node folder '${paths.dir}': ${(cause as Error).message}`, { cause });
  }
  writeJsonFileAtomic(paths.config, config);
}

/**
 * The configuration file of one node as the daemon's services see it: each service reads
 * and replaces its own section; every change is written at once.
 */
export class NodeConfigFile {
  constructor(private readonly home: Home, private readonly name: string) {}

  /** The current configuration, read from disk. */
  read(): NodeConfig {
    return readNodeConfig(this.home, this.name);
  }

  /** The section `key`, or undefined when no service has written it. */
  section(key: string): unknown {
    return this.read().sections[key];
  }

  /**
   * Read-modify-write of section `key` under the file's lock: `change` gets the current
   * section (undefined when none) and returns the new one (undefined removes it).
   */
  updateSection<T>(key: string, change: (current: unknown) => T | undefined): T | undefined {
    return withFileLock(this.home.node(this.name).config, () => {
      const next = change(this.section(key));
      this.setSection(key, next);
      return next;
    });
  }

  /** Replaces section `key` (undefined removes it) and persists the configuration, under the file's lock (the CLI writes it too). */
  setSection(key: string, value: unknown): void {
    withFileLock(this.home.node(this.name).config, () => {
      const config = this.read();
      const sections: Record<string, unknown> = { ...config.sections };
      if (value === undefined) delete sections[key];
      else sections[key] = value;
      writeNodeConfig(this.home, { ...config, sections });
    });
  }
}
