import { collectDefaultMetrics, Registry } from 'prom-client';
import { AlreadyExistsError } from '../../../core/errors.js';
import type { Node } from '../../../core/node/node.js';
import { TCP } from '../../../core/routing/address.js';
import type { TransportSet } from '../../../core/transport/transport-set.js';
import { registerAuthorityMetrics, registerNodeMetrics } from './node-collectors.js';
import type { MetricSources, NodeMetricsOptions } from './metric-sources.js';
import { SecureChannelRegistry } from '../../../core/channel/secure-channel-registry.js';

/** One readiness check and its outcome. */
export interface ReadinessCheck {
  /** What was checked: `tcp-listener`, `secure-channel-listener api`, `tcp-inlet 127.0.0.1:15432`, `relay postgres`, `credential`. */
  readonly name: string;
  readonly ok: boolean;
  /** Why it is not ready (no secret, no identifier). */
  readonly detail?: string;
}

/** The node's readiness: ready when every check passes. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/**
 * The metrics of one node: its own prom-client registry (never the global one), filled at
 * scrape time from the state its parts keep anyway (see metric-sources.ts), and its
 * readiness. Services hand over their sources with `provide` when they start; the
 * metrics endpoint (metrics-server.ts) serves `text()` and `readiness()`.
 */
export class NodeMetrics {
  /** The node's registry. */
  readonly registry = new Registry();
  private readonly sources: { -readonly [K in keyof MetricSources]?: MetricSources[K] } = {};
  private processMetrics = false;
  private state: 'starting' | 'started' | 'stopping' = 'starting';

  constructor(
    private readonly node: Node,
    private readonly transports: TransportSet,
    private readonly options: NodeMetricsOptions,
  ) {
    registerNodeMetrics(this.registry, {
      ...options, node, transports, channels: () => SecureChannelRegistry.of(node).list(),
      source: (key) => this.sources[key],
      ready: () => this.readiness().ready,
    });
  }

  /** Hands over one source; AlreadyExistsError when it was provided already. */
  provide<K extends keyof MetricSources>(key: K, source: MetricSources[K]): void {
    if (this.sources[key] !== undefined) throw new AlreadyExistsError('node', `metric source '${key}' is provided already`);
    this.sources[key] = source;
    if (key === 'authority') registerAuthorityMetrics(this.registry, source as MetricSources['authority']);
  }

  /** Marks the node started (its services restored what they persisted): from now on it may be ready. */
  markStarted(): void {
    if (this.state === 'starting') this.state = 'started';
  }

  /** Marks the node stopping: it is not ready any more. */
  markStopping(): void {
    this.state = 'stopping';
  }

  /** Adds the Node.js process metrics (CPU, memory, event loop, handles) to the registry; once. */
  enableProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    return await this.registry.metrics();
  }

  /** The registry's content type (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Ready when the node has started and is not stopping, the TCP listener and every secure channel listener accept, every inlet
   * listens and every outlet runs, every relay is registered at its project, and (on a
   * member of a project) the node holds a credential that verifies now.
   */
  readiness(): Readiness {
    const checks: ReadinessCheck[] = [];
    const check = (name: string, ok: boolean, detail: string): void => {
      checks.push(ok ? { name, ok } : { name, ok, detail });
    };
    check('started', this.state === 'started' && !this.node.isStopped, this.state === 'starting' ? 'starting' : 'stopping');
    let tcpListening = false;
    try {
      tcpListening = this.transports.get(TCP).listeners().length > 0;
    } catch {
      // no TCP transport
    }
    check('tcp-listener', tcpListening && !this.node.isStopped, 'not listening');
    for (const listener of this.sources.listeners?.() ?? []) check(`secure-channel-listener ${listener.address}`, listener.running(), 'not accepting handshakes');
    for (const inlet of this.sources.inlets?.() ?? []) check(`tcp-inlet ${inlet.listen}`, inlet.running, 'not listening');
    for (const outlet of this.sources.outlets?.() ?? []) check(`tcp-outlet ${outlet.address}`, outlet.running, 'not running');
    for (const relay of this.sources.relays?.() ?? []) check(`relay ${relay.name}`, relay.connected, relay.refused ? 'refused by the project' : 'not registered');
    const credential = this.options.credential();
    const expired = credential.expiresAt !== undefined && credential.expiresAt * 1000 <= Date.now();
    if (credential.expected) check('credential', credential.valid, expired ? 'expired' : 'no valid credential');
    return { ready: checks.every((c) => c.ok), checks };
  }
}
