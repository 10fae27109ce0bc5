import type { HomeStatus, InletStatus, LastError, NodeStatus, OutletStatus, PortalTraffic, RelayStatus } from '../node/api/home-status.js';
import { humanDuration } from './format.js';

/** Bytes for humans: `512 B`, `1.5 KiB`, `3.2 MiB`, `1.1 GiB`. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** `TIME (3m 2s ago)` or `TIME (in 59m 0s)` relative to `now`. */
function when(at: string, now: number): string {
  const ms = Date.parse(at) - now;
  return ms >= 0 ? `${at} (in ${humanDuration(ms)})` : `${at} (${humanDuration(-ms)} ago)`;
}

function errorLine(e: LastError | null, now: number): string[] {
  if (e === null) return [];
  const head = e.current ? 'last error' : `last error (old: recovered ${e.recoveredAt !== null ? when(e.recoveredAt, now) : ''})`;
  return [`      ${head}: ${e.message}${e.at !== null ? ` (at ${when(e.at, now)})` : ''}`];
}

function traffic(t: Partial<PortalTraffic>): string {
  if (t.sessions === undefined) return '';
  return `  sessions ${t.sessions} open, ${t.sessionsOpened ?? 0} opened, ${t.sessionsFailed ?? 0} failed  bytes in ${humanBytes(t.bytesIn ?? 0)}, out ${humanBytes(t.bytesOut ?? 0)}`;
}

function inletLines(i: InletStatus, now: number): string[] {
  const path = i.path === undefined ? '' : ` (${i.path} path)`;
  return [`    inlet ${i.name} ${i.via !== undefined ? `via ${i.via}` : `to ${i.to ?? '-'}`}${path} -> ${i.outlet}  ${i.health}${traffic(i)}`, ...errorLine(i.lastError, now)];
}

function outletLines(o: OutletStatus, now: number): string[] {
  const r = o.refusals;
  const refused = r !== undefined && r.policy + r.unreachable + r.capacity > 0
    ? `  refused: ${r.policy} by policy, ${r.unreachable} target unreachable, ${r.capacity} at capacity`
    : o.refused ? `, ${o.refused} refused (session cap)` : '';
  return [`    outlet ${o.address} -> ${o.target}  ${o.health}${traffic(o)}${refused}`, ...errorLine(o.lastError, now)];
}

function relayLines(r: RelayStatus, now: number): string[] {
  const health = r.health === 'held' ? 'held by another member' : r.health;
  return [`    relay ${r.name}${r.project !== null ? ` at ${r.project}` : ''}  ${health}${r.since !== null ? ` since ${r.since}` : ''}`, ...(r.health === 'registered' ? [] : errorLine(r.lastError, now))];
}

function nodeLines(n: NodeStatus, now: number): string[] {
  const head = n.status === 'running'
    ? `  ${n.name}  running  pid ${n.pid}  listener ${n.listener}  up ${humanDuration((n.uptimeSeconds ?? 0) * 1000)}${n.isDefault ? '  (default)' : ''}`
    : `  ${n.name}  ${n.status}${n.exit !== null ? `: ${n.exit.reason}${n.exit.at !== null ? ` (at ${n.exit.at})` : ''}` : ''}  listener ${n.listener}${n.isDefault ? '  (default)' : ''}`;
  const lines = [head];
  if (n.error !== undefined) lines.push(`    error: ${n.error}`);
  for (const i of n.inlets) lines.push(...inletLines(i, now));
  for (const o of n.outlets) lines.push(...outletLines(o, now));
  for (const r of n.relays) lines.push(...relayLines(r, now));
  return lines;
}

/** The text of `symbolon status`. */
export function statusText(s: HomeStatus): string {
  const now = Date.parse(s.at);
  const lines = [`Home:      ${s.home}`];
  lines.push(`Identity:  ${s.identity !== null ? `${s.identity.name}  ${s.identity.identifier}  (vault ${s.identity.vault})` : 'none yet (created on first use)'}`);
  if (s.projects.length === 0) lines.push('Projects:  none (create one: symbolon project create NAME --listen HOST:PORT, or enroll: symbolon project enroll TICKET)');
  else {
    lines.push('Projects:');
    for (const p of s.projects) {
      const credential = p.credential === null ? 'no credential' : p.credential.expiresAt === null ? 'credential held' : `credential ${p.credential.expired ? 'expired' : 'expires'} ${when(p.credential.expiresAt, now)}`;
      lines.push(`  ${p.name}${p.name === s.defaultProject ? ' (default)' : ''}  role ${p.role ?? '-'}  node ${p.node ?? '-'}  ${credential}`);
      if (p.projectNode !== null) {
        lines.push(p.projectNode.running
          ? `    project node ${p.projectNode.node}: ${p.projectNode.relays?.length ?? 0} relay(s)${p.projectNode.relays?.length ? ` (${p.projectNode.relays.join(', ')})` : ''}, ${p.projectNode.members ?? 0} member(s)`
          : `    project node ${p.projectNode.node}: not running`);
      }
    }
  }
  if (s.nodes.length === 0) lines.push('Nodes:     none (commands create and start "default" when needed)');
  else {
    lines.push(`Nodes:     ${s.nodes.length} (${s.nodes.filter((n) => n.status === 'running').length} running)`);
    for (const n of s.nodes) lines.push(...nodeLines(n, now));
  }
  return lines.join('\n');
}
