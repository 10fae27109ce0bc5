/**
 * Turns the benchmark results into report rows: each figure, its ratio to raw TCP from
 * the same run where it has one, its target and a verdict. Figures not measured appear
 * as `missing` with the reason.
 */
import type { PolicyBench } from '../policy.js';
import type { IssuanceBench } from '../authority.js';
import type { RawTcpBench } from '../raw-tcp.js';
import type { PortalBench } from '../portal.js';
import type { IdleBench } from '../idle-connections.js';
import type { PortalPath } from '../portal-topology.js';
import type { SecureChannelBench } from '../handshake.js';
import type { ReportRow } from './report.js';
import { TARGETS, count, kib, ratioOf, verdict } from './report.js';

/** Everything one run measured; absent sections failed (see `errors`) or were not selected. */
export interface BenchResults {
  policy?: PolicyBench;
  credentials?: IssuanceBench;
  handshakes?: SecureChannelBench;
  raw?: RawTcpBench;
  portal?: PortalBench;
  idle?: IdleBench;
  /** Why a section failed, by section. */
  errors: Record<string, string>;
}

const PATH_LABEL: Record<PortalPath, string> = {
  plain: 'portal, no channel (context)',
  channel: 'portal, one secure channel',
  relay: 'portal through a relay (3 channels)',
};

function missing(figure: string, target: string, reason: string | undefined): ReportRow {
  return { figure, value: `not measured: ${reason ?? 'not run'}`, target, verdict: 'missing' };
}

function throughputRows(r: BenchResults): ReportRow[] {
  const rows: ReportRow[] = [];
  const rawBulk = r.raw?.direct.bulk.mbPerSecond ?? Number.NaN;
  const rawRt = r.raw?.direct.roundTrips?.perSecond ?? Number.NaN;
  if (r.raw) {
    rows.push({ figure: 'bulk, raw TCP client -> sink (baseline)', value: `${rawBulk} MB/s`, ratio: 1, target: '', verdict: '-' });
    const f = r.raw.forwarded.bulk.mbPerSecond;
    rows.push({ figure: 'bulk, raw TCP through a TCP forwarder', value: `${f} MB/s`, ratio: ratioOf(f, rawBulk), target: '', verdict: '-' });
  } else rows.push(missing('bulk, raw TCP baseline', '', r.errors.raw));
  const bulkTarget: Partial<Record<PortalPath, number>> = { channel: TARGETS.bulkChannelRatio, relay: TARGETS.bulkRelayRatio };
  const rtTarget: Partial<Record<PortalPath, number>> = { channel: TARGETS.roundTripsChannelRatio, relay: TARGETS.roundTripsRelayRatio };
  const paths: PortalPath[] = ['plain', 'channel', 'relay'];
  for (const path of paths) {
    const target = bulkTarget[path];
    const targetText = target === undefined ? '' : `>= ${target.toFixed(2)} x raw`;
    const figures = r.portal?.paths[path];
    if (!figures) {
      rows.push(missing(`bulk, ${PATH_LABEL[path]}`, targetText, r.portal?.missing[path] ?? r.errors.portal));
      continue;
    }
    const ratio = ratioOf(figures.bulk.mbPerSecond, rawBulk);
    rows.push({ figure: `bulk, ${PATH_LABEL[path]}`, value: `${figures.bulk.mbPerSecond} MB/s`, ratio, target: targetText, verdict: target === undefined || Number.isNaN(ratio) ? '-' : verdict(ratio >= target) });
  }
  if (r.raw?.direct.roundTrips) {
    rows.push({ figure: '64 B round trips, raw TCP (baseline)', value: `${count(rawRt)}/s`, ratio: 1, target: '', verdict: '-' });
    const f = r.raw.forwarded.roundTrips?.perSecond ?? Number.NaN;
    rows.push({ figure: '64 B round trips, raw TCP through a forwarder', value: `${count(f)}/s`, ratio: ratioOf(f, rawRt), target: '', verdict: '-' });
  }
  for (const path of paths) {
    const target = rtTarget[path];
    const targetText = target === undefined ? '' : `>= ${target.toFixed(2)} x raw`;
    const rt = r.portal?.paths[path]?.roundTrips;
    if (!rt) {
      rows.push(missing(`64 B round trips, ${PATH_LABEL[path]}`, targetText, r.portal?.missing[path] ?? r.errors.portal));
      continue;
    }
    const ratio = ratioOf(rt.perSecond, rawRt);
    rows.push({ figure: `64 B round trips, ${PATH_LABEL[path]}`, value: `${count(rt.perSecond)}/s`, ratio, target: targetText, verdict: target === undefined || Number.isNaN(ratio) ? '-' : verdict(ratio >= target) });
  }
  return rows;
}

function otherRows(r: BenchResults): ReportRow[] {
  const rows: ReportRow[] = [];
  const hsTarget = `>= ${count(TARGETS.handshakesPerSecond)}/s`;
  rows.push(r.handshakes
    ? { figure: 'mutual-auth handshakes, credentials + authorize', value: `${count(r.handshakes.handshakesPerSecond)}/s`, target: hsTarget, verdict: verdict(r.handshakes.handshakesPerSecond >= TARGETS.handshakesPerSecond) }
    : missing('mutual-auth handshakes with credentials and policy', hsTarget, r.errors.handshakes));
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

/** All rows of the report, throughput and round trips first. */
export function buildRows(results: BenchResults): ReportRow[] {
  return [...throughputRows(results), ...otherRows(results)];
}
