import type { Registry } from 'prom-client';
import type { SecureChannelListenerStats } from '../../../core/channel/secure-channel-listener.js';
import type { SecureChannelInfo } from '../../../core/channel/secure-channel-registry.js';
import type { Node } from '../../../core/node/node.js';
import type { PortalCounters } from '../../../core/portal/portal-counters.js';
import type { TransportSet } from '../../../core/transport/transport-set.js';
import { lazyCounter, lazyGauge, type Sample } from './lazy-metric.js';
import type { AuthoritySource, MetricSources, NodeMetricsOptions } from './metric-sources.js';

/** What the node-wide collectors read. */
export interface NodeCollectorInputs extends NodeMetricsOptions {
  readonly node: Node;
  readonly transports: TransportSet;
  /** The node's open secure channels. */
  readonly channels: () => readonly SecureChannelInfo[];
  /** The sources services provided (undefined until one is). */
  readonly source: <K extends keyof MetricSources>(key: K) => MetricSources[K] | undefined;
  /** Whether the node is ready (see NodeMetrics.readiness). */
  readonly ready: () => boolean;
}

/** The counters every transport keeps (TCP's `stats`), by the metric reason they become. */
const TRANSPORT_ERRORS = [
  ['oversized', 'oversized_frame'], ['malformed', 'malformed_frame'], ['heartbeatTimeouts', 'heartbeat_timeout'],
  ['badVersion', 'bad_version'], ['connectFailures', 'connect_failed'], ['writeDropped', 'write_dropped'],
] as const;

/** The per-source and total bounds of a transport (TCP's `budget.stats`), by the metric reason they become. */
const BUDGET_CLOSES = [['closedForBuffering', 'buffer_limit'], ['closedForPartialFrames', 'partial_frame_limit']] as const;

/** Responder handshake failures (SecureChannelListenerStats), by the metric reason they become. */
const LISTENER_FAILURES = [['refused', 'refused'], ['failed', 'invalid'], ['timedOut', 'timeout']] as const;

/** Message 1s a listener dropped: for its source's pending-handshake limit, or otherwise (all slots busy, not a message 1). */
function listenerDrops(stats: Readonly<SecureChannelListenerStats>): { sourceLimit: number; overloaded: number } {
  const sourceLimit = typeof stats.droppedPerSource === 'number' ? stats.droppedPerSource : 0;
  return { sourceLimit, overloaded: stats.dropped - sourceLimit };
}

/** An inlet or outlet as the portal metrics see it: its kind, its label address and its status. */
interface PortalSample {
  readonly kind: 'inlet' | 'outlet';
  /** The inlet's listen address, or the outlet's address. */
  readonly address: string;
  readonly s: Readonly<PortalCounters> & { readonly sessions: number; readonly running: boolean };
}

function statsOf(transport: unknown): Record<string, unknown> | undefined {
  const stats = (transport as { stats?: unknown }).stats;
  return typeof stats === 'object' && stats !== null ? stats as Record<string, unknown> : undefined;
}

function budgetOf(transport: unknown): Record<string, unknown> | undefined {
  return statsOf((transport as { budget?: unknown }).budget ?? {});
}

function numberSamples(stats: Record<string, unknown> | undefined, fields: ReadonlyArray<readonly [string, string]>, labels: (reason: string) => Record<string, string>): Sample[] {
  return fields.filter(([field]) => typeof stats?.[field] === 'number').map(([field, reason]) => [labels(reason), stats![field] as number] as Sample);
}

function* samples<T>(items: Iterable<T> | undefined, each: (item: T) => Iterable<Sample>): Iterable<Sample> {
  for (const item of items ?? []) yield* each(item);
}

/**
 * Registers the metrics every node has: node, transports, portals, secure channels,
 * policy denials, credential, relays and readiness. Every value is read at scrape time.
 * Label values are addresses and names the operator chose (inlet listen addresses,
 * outlet addresses, relay names, resource types): never an identifier or a secret.
 */
export function registerNodeMetrics(registry: Registry, inputs: NodeCollectorInputs): void {
  const { node, transports, source } = inputs;
  const portals = (): PortalSample[] => [
    ...[...(source('inlets')?.() ?? [])].map((s) => ({ kind: 'inlet' as const, address: s.listen, s })),
    ...[...(source('outlets')?.() ?? [])].map((s) => ({ kind: 'outlet' as const, address: s.address, s })),
  ];
  const portal = (p: { kind: string; address: string }, extra: Record<string, string> = {}): Record<string, string> => ({ portal: p.kind, address: p.address, ...extra });

  lazyGauge(registry, { name: 'symbolon_node_info', help: 'Always 1; the node name as a label.', labelNames: ['node'] }, () => [[{ node: inputs.name }, 1]]);
  lazyGauge(registry, { name: 'symbolon_node_ready', help: '1 when the node is ready (as /readyz), 0 otherwise.' }, () => [[{}, inputs.ready() ? 1 : 0]]);
  lazyCounter(registry, { name: 'symbolon_node_messages_total', help: 'Messages the node routed, by outcome.', labelNames: ['outcome'] }, () => {
    const s = node.stats;
    return numberSamples(s as unknown as Record<string, unknown>, [
      ['delivered', 'delivered'], ['dropped', 'dropped'], ['denied', 'denied'], ['forwardingRefused', 'forwarding_refused'],
      ['malformed', 'malformed'], ['workerErrors', 'worker_error'],
    ], (outcome) => ({ outcome }));
  });

  lazyGauge(registry, { name: 'symbolon_transport_connections_open', help: 'Open transport connections.', labelNames: ['transport', 'direction'] }, () => {
    const counts = new Map<string, number>();
    for (const t of transports.all()) for (const d of ['incoming', 'outgoing']) counts.set(`${t.name} ${d}`, 0);
    for (const c of transports.connections()) counts.set(`${c.transport} ${c.direction}`, (counts.get(`${c.transport} ${c.direction}`) ?? 0) + 1);
    return [...counts].map(([key, n]) => {
      const [transport, direction] = key.split(' ') as [string, string];
      return [{ transport, direction }, n] as Sample;
    });
  });
  lazyCounter(registry, { name: 'symbolon_transport_errors_total', help: 'Transport connections closed or messages dropped, by reason.', labelNames: ['transport', 'reason'] }, () =>
    samples(transports.all(), (t) => [
      ...numberSamples(statsOf(t), TRANSPORT_ERRORS, (reason) => ({ transport: t.name, reason })),
      ...numberSamples(budgetOf(t), BUDGET_CLOSES, (reason) => ({ transport: t.name, reason })),
    ]));
  lazyCounter(registry, { name: 'symbolon_transport_connections_refused_total', help: 'Incoming connections closed on arrival by a limit, by reason.', labelNames: ['transport', 'reason'] }, () =>
    samples(transports.all(), (t) => numberSamples(budgetOf(t), [['refusedConnections', 'source_limit']], (reason) => ({ transport: t.name, reason }))));
  lazyGauge(registry, { name: 'symbolon_transport_sources', help: 'Distinct peer sources with an open incoming connection.', labelNames: ['transport'] }, () =>
    samples(transports.all(), (t) => numberSamples(budgetOf(t), [['sources', t.name]], (transport) => ({ transport }))));
  lazyGauge(registry, { name: 'symbolon_transport_held_bytes', help: 'Bytes peers make the node hold now: buffered for writing, or in frames received in part.', labelNames: ['transport', 'kind'] }, () =>
    samples(transports.all(), (t) => numberSamples(budgetOf(t), [['bufferedBytes', 'buffered'], ['partialFrameBytes', 'partial_frame']], (kind) => ({ transport: t.name, kind }))));

  lazyGauge(registry, { name: 'symbolon_portal_up', help: '1 while an inlet listens or an outlet runs.', labelNames: ['portal', 'address'] }, () =>
    portals().map((p) => [portal(p), p.s.running ? 1 : 0]));
  lazyGauge(registry, { name: 'symbolon_portal_sessions_open', help: 'Portal sessions open or opening.', labelNames: ['portal', 'address'] }, () =>
    portals().map((p) => [portal(p), p.s.sessions]));
  lazyCounter(registry, { name: 'symbolon_portal_sessions_total', help: 'Portal sessions opened.', labelNames: ['portal', 'address'] }, () =>
    portals().map((p) => [portal(p), p.s.sessionsOpened]));
  lazyCounter(registry, { name: 'symbolon_portal_sessions_failed_total', help: 'Portal sessions that failed to open or were refused.', labelNames: ['portal', 'address'] }, () =>
    portals().map((p) => [portal(p), p.s.sessionsFailed]));
  lazyCounter(registry, { name: 'symbolon_portal_sessions_aborted_total', help: 'Open portal sessions that ended abnormally.', labelNames: ['portal', 'address'] }, () =>
    portals().map((p) => [portal(p), p.s.sessionsAborted]));
  lazyCounter(registry, {
    name: 'symbolon_portal_bytes_total', help: 'Bytes through a portal: received from the peer (written to local sockets) or sent to the peer (read from local sockets).',
    labelNames: ['portal', 'address', 'direction'],
  }, () => portals().flatMap((p) => [[portal(p, { direction: 'received' }), p.s.bytesIn], [portal(p, { direction: 'sent' }), p.s.bytesOut]] as Sample[]));
  lazyCounter(registry, { name: 'symbolon_portal_sessions_refused_total', help: 'Outlet sessions refused because the peer held its session limit.', labelNames: ['portal', 'address'] }, () =>
    [...(source('outlets')?.() ?? [])].map((s) => [{ portal: 'outlet', address: s.address }, s.refusedPeerCap]));

  lazyGauge(registry, { name: 'symbolon_secure_channels_open', help: 'Open secure channels, by role.', labelNames: ['role'] }, () => {
    const open = { initiator: 0, responder: 0 };
    for (const c of inputs.channels()) open[c.role]++;
    return [[{ role: 'initiator' }, open.initiator], [{ role: 'responder' }, open.responder]];
  });
  lazyCounter(registry, { name: 'symbolon_secure_channel_handshakes_total', help: 'Secure channel handshakes, completed or failed, by role.', labelNames: ['role'] }, () => {
    let responder = 0;
    for (const l of source('listeners')?.() ?? []) responder += l.stats.accepted + l.stats.refused + l.stats.failed + l.stats.timedOut + l.stats.dropped;
    let initiator = inputs.handshakes.completed;
    for (const n of inputs.handshakes.failedByReason().values()) initiator += n;
    return [[{ role: 'initiator' }, initiator], [{ role: 'responder' }, responder]];
  });
  lazyCounter(registry, { name: 'symbolon_secure_channel_handshakes_failed_total', help: 'Secure channel handshakes that failed, by role and reason.', labelNames: ['role', 'reason'] }, () => {
    const out: Sample[] = [];
    const responder = new Map<string, number>([...LISTENER_FAILURES.map(([, reason]) => [reason, 0] as const), ['overloaded', 0], ['source_limit', 0]]);
    for (const l of source('listeners')?.() ?? []) {
      for (const [field, reason] of LISTENER_FAILURES) responder.set(reason, responder.get(reason)! + l.stats[field]);
      const drops = listenerDrops(l.stats);
      responder.set('overloaded', responder.get('overloaded')! + drops.overloaded);
      responder.set('source_limit', responder.get('source_limit')! + drops.sourceLimit);
    }
    for (const [reason, n] of responder) out.push([{ role: 'responder', reason }, n]);
    for (const [reason, n] of inputs.handshakes.failedByReason()) out.push([{ role: 'initiator', reason }, n]);
    return out;
  });

  lazyCounter(registry, { name: 'symbolon_policy_decisions_total', help: 'Policy decisions about requests from peers, by resource type and decision.', labelNames: ['resource_type', 'decision'] }, () =>
    samples(inputs.decisions(), ([type, cell]) => [[{ resource_type: type, decision: 'allowed' }, cell.allowed], [{ resource_type: type, decision: 'denied' }, cell.denied]]));
  lazyCounter(registry, { name: 'symbolon_policy_would_deny_total', help: 'Requests an audit-mode policy would have denied (they were let through), by resource type.', labelNames: ['resource_type'] }, () =>
    samples(inputs.decisions(), ([type, cell]) => [[{ resource_type: type }, cell.wouldDeny ?? 0]]));
  lazyCounter(registry, { name: 'symbolon_policy_denials_total', help: 'Requests the node refused (policy or default rule), by resource type.', labelNames: ['resource_type'] }, () => {
    const byType = new Map<string, number>();
    for (const [key, n] of Object.entries(inputs.denials().byResource)) {
      const type = key.slice(0, Math.max(0, key.indexOf('/'))) || key;
      byType.set(type, (byType.get(type) ?? 0) + n);
    }
    return [...byType].map(([type, n]) => [{ resource_type: type }, n]);
  });

  lazyGauge(registry, { name: 'symbolon_credential_valid', help: '1 when the node holds a credential that verifies now; exported on project members.' }, () => {
    const c = inputs.credential();
    return c.expected || c.expiresAt !== undefined ? [[{}, c.valid ? 1 : 0]] : [];
  });
  lazyGauge(registry, { name: 'symbolon_credential_expiry_timestamp_seconds', help: 'When the node credential expires (seconds since the epoch).' }, () => {
    const c = inputs.credential();
    return c.expiresAt !== undefined ? [[{}, c.expiresAt]] : [];
  });
  lazyGauge(registry, { name: 'symbolon_credential_expires_in_seconds', help: 'Seconds until the node credential expires (negative once expired).' }, () => {
    const c = inputs.credential();
    return c.expiresAt !== undefined ? [[{}, c.expiresAt - Math.floor(Date.now() / 1000)]] : [];
  });

  lazyGauge(registry, { name: 'symbolon_relay_registered', help: '1 while the relay is registered at its project node, 0 otherwise.', labelNames: ['relay'] }, () =>
    [...(source('relays')?.() ?? [])].map((r) => [{ relay: r.name }, r.connected ? 1 : 0]));
  lazyCounter(registry, { name: 'symbolon_relay_reconnects_total', help: 'Registrations of a relay after its first one (it was lost and came back).', labelNames: ['relay'] }, () =>
    [...(source('relays')?.() ?? [])].map((r) => [{ relay: r.name }, Math.max(0, r.registrations - 1)]));
}

/** Registers a project node's authority metrics (once its authority runs). */
export function registerAuthorityMetrics(registry: Registry, authority: AuthoritySource): void {
  const c = authority.counts;
  lazyCounter(registry, { name: 'symbolon_authority_tickets_created_total', help: 'Enrollment tickets created.' }, () => [[{}, c.ticketsCreated]]);
  lazyCounter(registry, { name: 'symbolon_authority_enrollments_total', help: 'Tickets redeemed (members enrolled).' }, () => [[{}, c.enrollments]]);
  lazyCounter(registry, { name: 'symbolon_authority_enrollments_refused_total', help: 'Ticket redemptions refused, by reason.', labelNames: ['reason'] }, () =>
    Object.entries(c.enrollmentsRefused).map(([reason, n]) => [{ reason }, n ?? 0]));
  lazyCounter(registry, { name: 'symbolon_authority_credentials_issued_total', help: 'Member credentials issued.' }, () => [[{}, c.credentialsIssued]]);
  lazyCounter(registry, { name: 'symbolon_authority_credentials_refused_total', help: 'Credential requests refused (not a member, removed, attributes changed).' }, () => [[{}, c.credentialsRefused]]);
  lazyCounter(registry, { name: 'symbolon_authority_access_refused_total', help: 'Authority requests refused for the caller\'s role.' }, () => [[{}, c.accessRefused]]);
  lazyGauge(registry, { name: 'symbolon_authority_audit_head_sequence', help: 'Sequence number of the newest audit record.' }, async () => {
    try {
      return [[{}, await authority.auditHeadSeq()]];
    } catch {
      return []; // the store did not answer: the series is absent from this scrape, the rest is served
    }
  });
  lazyGauge(registry, { name: 'symbolon_relays_held', help: 'Relays registered at this project node now.' }, () => [[{}, authority.relaysHeld()]]);
  if (authority.relaysForwarded !== undefined) {
    const forwarded = authority.relaysForwarded.bind(authority);
    lazyGauge(registry, { name: 'symbolon_replica_relays_forwarded', help: 'Relays held by another replica of the project that this project node forwards to now.' }, () => [[{}, forwarded()]]);
  }
}
