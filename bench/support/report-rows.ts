/**
 * Turns the benchmark results into report rows: each figure, its ratio to raw TCP from
 * the same run where it has one, its target and a verdict. Figures not measured appear
 * as `missing` with the reason.
 */
import type { PolicyBench } from '../policy.js';
import type { IssuanceBench } from '../authority.js';
import type { ThroughputBench } from '../portal.js';
import type { IdleBench } from '../idle-connections.js';
import type { PortalPath } from '../portal-topology.js';
import type { PathFigures } from './measure-path.js';
import type { SecureChannelBench } from '../handshake.js';
import type { HandshakeFloodBench } from '../handshake-flood.js';
import type { HandshakeProcessesBench } from '../handshake-processes.js';
import type { PgbenchBench } from '../pgbench.js';
import type { ReplicasBench } from '../replicas.js';
import type { ReplicaHandshakesBench } from '../replica-handshakes.js';
import { PGBENCH_TARGET_RATIO } from '../pgbench.js';
import type { KafkaBench } from '../kafka.js';
import type { AuditBench } from '../audit.js';
import type { ReportRow } from './report.js';
import { TARGETS, count, kib, ratioOf, verdict } from './report.js';

/** Everything one run measured; absent sections failed (see `errors`) or were not selected. */
export interface BenchResults {
  policy?: PolicyBench;
  credentials?: IssuanceBench;
  handshakes?: SecureChannelBench;
  handshakeFlood?: HandshakeFloodBench;
  handshakeProcesses?: HandshakeProcessesBench;
  throughput?: ThroughputBench;
  idle?: IdleBench;
  pgbench?: PgbenchBench;
  kafka?: KafkaBench;
  replicas?: ReplicasBench;
  /** Handshakes and credentials with 1 and 3 replica processes. */
  replicaProcesses?: ReplicaHandshakesBench;
  audit?: AuditBench;
  /** Why a section failed, by section. */
  errors: Record<string, string>;
}

const PATH_LABEL: Record<PortalPath, string> = {
  plain: 'portal, no channel (context)',
  channel: 'portal, one secure channel',
  'channel-ws': 'portal, one secure channel over WebSocket',
  'channel-udp': 'portal, one secure channel over UDP',
  relay: 'portal through a relay (3 channels)',
  direct: 'portal, end-to-end channel moved from the relay onto a direct UDP path',
};

function missing(figure: string, target: string, reason: string | undefined): ReportRow {
  return { figure, value: `not measured: ${reason ?? 'not run'}`, target, verdict: 'missing' };
}

/** CPU figures of a path: the total and the node (or forwarder) processes' share. */
function cpuText(cpu: Readonly<Record<string, number>> | undefined, unit: string): string {
  if (cpu === undefined || cpu.total === undefined) return '';
  const middle = Object.entries(cpu).filter(([label]) => !['client', 'sink', 'total'].includes(label));
  const hops = middle.length === 0 ? '' : `; ${middle.map(([label, v]) => `${label} ${v}`).join(', ')}`;
  return `, ${cpu.total} CPU ${unit}${hops}`;
}

type PathKind = 'bulk' | 'roundTrips' | 'parallel';

/** One figure (bulk MB/s, round trips/s, or aggregate MB/s of concurrent sessions) of every path, raw baseline first. */
function pathRows(results: BenchResults, kind: PathKind): ReportRow[] {
  const t = results.throughput;
  const sessions = t ? Object.values(t.portal.paths).find((f) => f?.parallel)?.parallel?.sessions ?? t.raw.direct.parallel?.sessions : undefined;
  const label = kind === 'bulk' ? 'bulk' : kind === 'parallel' ? `bulk, ${sessions ?? 0} sessions at once` : '64 B round trips';
  if (kind === 'parallel' && (t === undefined || sessions === undefined)) return [];
  const value = (f: PathFigures | undefined): number =>
    (kind === 'bulk' ? f?.bulk.mbPerSecond : kind === 'parallel' ? f?.parallel?.mbPerSecond : f?.roundTrips.perSecond) ?? Number.NaN;
  const show = (f: PathFigures): string => {
    if (kind === 'bulk') return `${f.bulk.mbPerSecond} MB/s${cpuText(f.bulk.cpuSecondsPerGB, 's/GB')}`;
    if (kind === 'parallel') return f.parallel ? `${f.parallel.mbPerSecond} MB/s${cpuText(f.parallel.cpuSecondsPerGB, 's/GB')}` : 'not measured';
    const r = f.roundTrips;
    return `${count(r.perSecond)}/s (p50 ${count(r.medianMicros)} us, p99 ${count(r.p99Micros)} us${cpuText(r.cpuMicrosPerRoundTrip, 'us/rt')})`;
  };
  if (!t) return [missing(`${label}, raw TCP and portals`, '', results.errors.throughput)];
  const base = value(t.raw.direct);
  const rows: ReportRow[] = [{ figure: `${label}, raw TCP client -> sink (baseline)`, value: show(t.raw.direct), ratio: 1, target: '', verdict: '-' }];
  if (t.raw.forwarded) rows.push({ figure: `${label}, raw TCP through a TCP forwarder`, value: show(t.raw.forwarded), ratio: ratioOf(value(t.raw.forwarded), base), target: '', verdict: '-' });
  for (const c of t.comparisons ?? []) {
    rows.push({ figure: `${label}, ${c.label}`, value: show(c.figures), ratio: ratioOf(value(c.figures), base), target: '', verdict: '-' });
  }
  // A comparison that could not run (e.g. not installed) says so in the bulk and round-trip sections.
  for (const [name, reason] of Object.entries(t.skipped ?? {})) {
    if (kind !== 'parallel') rows.push({ figure: `${label}, ${name}`, value: `skipped: ${reason}`, target: '', verdict: '-' });
  }
  const targets: Partial<Record<PortalPath, number>> = kind === 'bulk'
    ? { channel: TARGETS.bulkChannelRatio, relay: TARGETS.bulkRelayRatio }
    : kind === 'roundTrips' ? { channel: TARGETS.roundTripsChannelRatio, relay: TARGETS.roundTripsRelayRatio } : {};
  for (const path of ['plain', 'channel', 'channel-ws', 'channel-udp', 'relay', 'direct'] as const) {
    const target = targets[path];
    const targetText = target === undefined ? '' : `>= ${target.toFixed(2)} x raw`;
    const figures = t.portal.paths[path];
    if (!figures) {
      rows.push(missing(`${label}, ${PATH_LABEL[path]}`, targetText, t.portal.missing[path]));
      continue;
    }
    const ratio = ratioOf(value(figures), base);
    rows.push({
      figure: `${label}, ${PATH_LABEL[path]}`, value: show(figures), ratio, target: targetText,
      verdict: target === undefined || Number.isNaN(ratio) ? '-' : verdict(value(figures) / base >= target),
    });
  }
  return rows;
}

function otherRows(r: BenchResults): ReportRow[] {
  const rows: ReportRow[] = [];
  const hsTarget = `>= ${count(TARGETS.handshakesPerSecond)}/s`;
  rows.push(r.handshakes
    ? { figure: 'mutual-auth handshakes, credentials + authorize', value: `${count(r.handshakes.handshakesPerSecond)}/s`, target: hsTarget, verdict: verdict(r.handshakes.handshakesPerSecond >= TARGETS.handshakesPerSecond) }
    : missing('mutual-auth handshakes with credentials and policy', hsTarget, r.errors.handshakes));
  if (r.handshakes?.concurrent100) {
    rows.push({ figure: '  the same, 100 initiators at once', value: `${count(r.handshakes.concurrent100.handshakesPerSecond)}/s`, target: '', verdict: '-' });
  }
  const p = r.handshakeProcesses;
  if (p) {
    const cpu = (row: HandshakeProcessesBench['sequential']): string => `CPU ${count(row.initiatorCpuUs)} us initiator, ${count(row.responderCpuUs)} us responder per handshake`;
    rows.push({ figure: '  the same, initiator and responder in two processes', value: `${count(p.sequential.handshakesPerSecond)}/s (${cpu(p.sequential)})`, target: '', verdict: '-' });
    rows.push({ figure: '  two processes, 100 initiators at once', value: `${count(p.concurrent100.handshakesPerSecond)}/s (${cpu(p.concurrent100)})`, target: hsTarget, verdict: verdict(p.concurrent100.handshakesPerSecond >= TARGETS.handshakesPerSecond) });
  } else {
    rows.push(missing('  handshakes, two processes', hsTarget, r.errors.handshakes));
  }
  const f = r.handshakeFlood;
  rows.push(f
    ? {
      figure: `  the same during a message 1 flood from another source (${count(f.floodMessagesPerSecond)}/s)`,
      value: `${count(f.floodPerSecond)}/s (quiet ${count(f.quietPerSecond)}/s, ${f.failedUnderFlood} failed)`,
      ratio: f.ratio, target: 'ratio to quiet', verdict: '-',
    }
    : missing('  handshakes during a message 1 flood', 'ratio to quiet', r.errors.handshakes));
  const policyTarget = `<= ${TARGETS.policyNsPerDecision / 1000} us`;
  if (r.policy) {
    rows.push({ figure: 'policy decision, cached CEL (decide)', value: `${(r.policy.nsPerDecision / 1000).toFixed(2)} us (${count(r.policy.decisionsPerSecond)}/s)`, target: policyTarget, verdict: verdict(r.policy.nsPerDecision <= TARGETS.policyNsPerDecision) });
    rows.push({ figure: 'policy decision, via the access control', value: `${(r.policy.accessControlNsPerDecision / 1000).toFixed(2)} us (${count(r.policy.accessControlDecisionsPerSecond)}/s)`, target: policyTarget, verdict: verdict(r.policy.accessControlNsPerDecision <= TARGETS.policyNsPerDecision) });
  } else rows.push(missing('policy decision, cached CEL', policyTarget, r.errors.policy));
  const credTarget = `>= ${count(TARGETS.credentialsPerSecond)}/s`;
  rows.push(r.credentials
    ? { figure: 'credentials issued, audit log on (SQLite)', value: `${count(r.credentials.value)}/s`, target: credTarget, verdict: verdict(r.credentials.value >= TARGETS.credentialsPerSecond) }
    : missing('credentials issued, audit log on', credTarget, r.errors.credentials));
  const idleTarget = `<= ${kib(TARGETS.idleBytesPerConnection)} at ${count(TARGETS.idleConnections)}`;
  if (r.idle) {
    const i = r.idle;
    rows.push({
      figure: `memory per idle portal connection (${count(i.sessions)} open, ${i.path === 'channel' ? 'one channel' : 'no channel'})`,
      value: `${kib(i.rssPerConnection)} RSS (inlet ${kib(i.inlet.rss)}, outlet ${kib(i.outlet.rss)})`,
      target: idleTarget,
      verdict: verdict(i.rssPerConnection <= TARGETS.idleBytesPerConnection),
    });
    rows.push({ figure: '  of which JS heap, inlet + outlet', value: kib(i.inlet.heapUsed + i.outlet.heapUsed), target: '', verdict: '-' });
  } else rows.push(missing('memory per idle portal connection', idleTarget, r.errors.idle));
  return rows;
}

/** Credentials through one and three replicas on one Postgres (a ratio), relay directory lookups. */
export function replicaRows(r: BenchResults): ReportRow[] {
  const rows: ReportRow[] = [];
  const h = r.replicaProcesses;
  if (!h) rows.push(missing('handshakes, 1 and 3 replica processes on one Postgres', '', r.errors.replicas));
  else {
    rows.push(
      { figure: `handshakes, 1 replica process (baseline; ${h.members} members)`, value: `${count(h.handshakes.oneReplica)}/s`, ratio: 1, target: '', verdict: '-' },
      { figure: '  3 replica processes, members round-robin', value: `${count(h.handshakes.threeReplicas)}/s`, ratio: h.handshakes.ratio, target: '', verdict: '-' },
      { figure: 'credentials issued, 1 replica process (baseline)', value: `${count(h.credentials.oneReplica)}/s`, ratio: 1, target: '', verdict: '-' },
      { figure: '  3 replica processes', value: `${count(h.credentials.threeReplicas)}/s`, ratio: h.credentials.ratio, target: '', verdict: '-' },
    );
  }
  const p = r.replicas;
  if (!p) return [...rows, missing('credentials issued, 1 and 3 replicas on one Postgres', '', r.errors.replicas)];
  return [
    ...rows,
    { figure: 'credentials issued, 1 store on Postgres (baseline, in process)', value: `${count(p.oneReplica)}/s`, ratio: 1, target: '', verdict: '-' },
    { figure: '  3 stores on one Postgres, in one process', value: `${count(p.threeReplicas)}/s`, ratio: p.ratio, target: '', verdict: '-' },
    { figure: 'relay directory lookups (one SELECT each)', value: `${count(p.lookupsPerSecond)}/s`, target: '', verdict: '-' },
    { figure: 'relay directory lookups, cached', value: `${count(p.cachedLookupsPerSecond)}/s`, target: '', verdict: '-' },
  ];
}

/** pgbench -S direct (baseline) and through the relay portal, judged by their ratio. */
function pgbenchRows(r: BenchResults): ReportRow[] {
  const figure = 'pgbench -S, 1 client, through the relay portal';
  const target = `>= ${PGBENCH_TARGET_RATIO.toFixed(2)} x direct`;
  const p = r.pgbench;
  if (!p) return [missing(figure, target, r.errors.pgbench)];
  if ('skipped' in p) return [{ figure, value: p.skipped, target, verdict: 'missing' }];
  const tps = (n: number): string => `${count(n)} tps`;
  return [
    { figure: 'pgbench -S, 1 client, direct (baseline)', value: tps(p.directTps), ratio: 1, target: '', verdict: '-' },
    { figure, value: tps(p.relayTps), ratio: p.ratio, target, verdict: Number.isNaN(p.ratio) ? '-' : verdict(p.relayTps / p.directTps >= PGBENCH_TARGET_RATIO) },
  ];
}

/** Kafka records per second, direct (baseline) and through the inlets (encrypted end to end), produced and consumed. */
/** The audit log: records per second with checkpoints on, and proof generation on a large log. */
function auditRows(r: BenchResults): ReportRow[] {
  const a = r.audit;
  if (!a) return [missing('audit records/s with Merkle checkpoints, proofs on a large log', '', r.errors.audit)];
  const p = a.proofs;
  return [
    { figure: 'audit records appended, Merkle checkpoint every 1000 (SQLite)', value: `${count(a.recordsPerSecond)}/s (${count(a.records)} audited ticket creations, ${a.checkpointsSigned} checkpoints signed)`, target: '', verdict: '-' },
    { figure: `audit inclusion proof, log of ${count(p.logRecords)} records`, value: `${p.inclusionSeconds} s (${p.inclusionPathLength} hashes)${p.verified ? ', verifies' : ', DOES NOT VERIFY'}`, target: '', verdict: p.verified ? '-' : 'miss' },
    { figure: `audit consistency proof, ${count(Math.floor(p.logRecords / 2))} -> ${count(p.logRecords)} records`, value: `${p.consistencySeconds} s (${p.consistencyPathLength} hashes)`, target: '', verdict: '-' },
    { figure: `  first checkpoint over the ${count(p.logRecords)} records (whole Merkle tree)`, value: `${p.firstCheckpointSeconds} s`, target: '', verdict: '-' },
  ];
}

function kafkaRows(r: BenchResults): ReportRow[] {
  const k = r.kafka;
  if (!k) return [missing('Kafka records/s through the inlets', '', r.errors.kafka)];
  if ('skipped' in k) return [{ figure: 'Kafka records/s through the inlets', value: `not measured: ${k.skipped}`, target: '', verdict: 'missing' }];
  const rate = (n: number): string => `${count(n)} records/s`;
  const size = `${k.valueBytes} B values`;
  return [
    { figure: `Kafka produce, direct (baseline, ${size})`, value: rate(k.producedDirect), ratio: 1, target: '', verdict: '-' },
    { figure: '  through the producer\'s inlet (encrypted)', value: rate(k.producedInlet), ratio: Math.round(k.producedInlet / k.producedDirect * 100) / 100, target: '', verdict: '-' },
    { figure: `Kafka consume, direct (baseline, ${size})`, value: rate(k.consumedDirect), ratio: 1, target: '', verdict: '-' },
    { figure: '  through the consumer\'s inlet via the relay (decrypted)', value: rate(k.consumedInlet), ratio: Math.round(k.consumedInlet / k.consumedDirect * 100) / 100, target: '', verdict: '-' },
  ];
}

/** All rows of the report, throughput and round trips first. */
export function buildRows(results: BenchResults): ReportRow[] {
  return [...pathRows(results, 'bulk'), ...pathRows(results, 'parallel'), ...pathRows(results, 'roundTrips'), ...otherRows(results), ...pgbenchRows(results), ...kafkaRows(results),
    ...(results.replicas !== undefined || results.replicaProcesses !== undefined || results.errors.replicas !== undefined ? replicaRows(results) : []), ...auditRows(results)];
}
