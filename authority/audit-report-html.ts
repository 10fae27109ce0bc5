import type { AuditReport, ReportBucket } from './audit-report.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** HTML text and attribute escaping. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const iso = (t: number): string => new Date(t).toISOString();
const duration = (ms: number): string => {
  const d = ms / 86_400_000;
  if (d >= 1) return `${Number(d.toFixed(1))} d`;
  const h = ms / 3_600_000;
  return h >= 1 ? `${Number(h.toFixed(1))} h` : `${Math.round(ms / 60_000)} min`;
};
const metric = (name: string, value: number): string => `<span class="n" data-metric="${name}">${value}</span>`;

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, empty: string, rowAttr: (i: number) => string = () => ''): string {
  if (rows.length === 0) return `<p class="none">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r, i) => `<tr${rowAttr(i)}>${r.join('')}</tr>`).join('')}</tbody></table>`;
}
const td = (text: string | number, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(String(text))}</td>`;

/**
 * The chart of issuance and refusals over time as inline SVG: one pair of bars per bucket
 * (credentials issued, refusals), a y axis with its maximum, the first and last bucket's
 * time under the x axis. Each bar carries `data-count`, `data-series` and `data-start`.
 */
export function chartSvg(buckets: readonly ReportBucket[], bucketMs: number): string {
  const width = 720;
  const height = 220;
  const left = 44;
  const bottom = 30;
  const top = 16;
  const plotH = height - bottom - top;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.issued, b.refused)));
  const slot = (width - left - 8) / Math.max(1, buckets.length);
  const bar = Math.max(1, slot / 2 - 1);
  const rects = buckets.map((b, i) => {
    const x = left + i * slot;
    const h = (n: number): number => (n / max) * plotH;
    const one = (n: number, series: 'issued' | 'refused', dx: number): string => `<rect class="${series}" data-series="${series}" data-start="${iso(b.start)}" data-count="${n}" x="${(x + dx).toFixed(1)}" y="${(top + plotH - h(n)).toFixed(1)}" width="${bar.toFixed(1)}" height="${h(n).toFixed(1)}"><title>${iso(b.start)}: ${n} ${series === 'issued' ? 'credentials issued' : 'refusals'}</title></rect>`;
    return one(b.issued, 'issued', 0) + one(b.refused, 'refused', bar + 1);
  }).join('');
  const first = buckets[0];
  const last = buckets.at(-1);
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="credentials issued and refusals over time" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`
    + `<line x1="${left}" y1="${top + plotH}" x2="${width - 4}" y2="${top + plotH}" stroke="#555"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#555"/>`
    + `<text x="${left - 6}" y="${top + 4}" text-anchor="end" font-size="11">${max}</text><text x="${left - 6}" y="${top + plotH}" text-anchor="end" font-size="11">0</text>`
    + (first ? `<text x="${left}" y="${height - 10}" font-size="11">${iso(first.start).slice(0, 16)}Z</text>` : '')
    + (last ? `<text x="${width - 4}" y="${height - 10}" text-anchor="end" font-size="11">${iso(last.start + bucketMs).slice(0, 16)}Z</text>` : '')
    + rects
    + `<rect x="${width - 200}" y="2" width="10" height="10" class="issued"/><text x="${width - 186}" y="11" font-size="11">issued</text>`
    + `<rect x="${width - 120}" y="2" width="10" height="10" class="refused"/><text x="${width - 106}" y="11" font-size="11">refused</text>`
    + '</svg>';
}

/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no external
 * asset. Every number a reader may want to check carries `data-metric` (and table rows
 * `data-member`, `data-attribute`, `data-reason` with `data-count`), so tools can read it too.
 */
export function renderReportHtml(r: AuditReport, title: string): string {
  const v = r.verification;
  const state = v.ok === true ? 'ok' : v.ok === false ? 'failed' : 'unverified';
  const verdict = v.ok === true ? 'Verified' : v.ok === false ? 'VERIFICATION FAILED' : 'Not verified';
  const counted = (name: string, rows: ReadonlyArray<readonly [string, number]>, attr: string, empty: string): string =>
    table([name, 'count'], rows.map(([k, n]) => [td(k, 'id'), td(n, 'num')]), empty, (i) => ` data-${attr}="${escapeHtml((rows[i] as readonly [string, number])[0])}" data-count="${(rows[i] as readonly [string, number])[1]}"`);
  const changes = (rows: AuditReport['members']['added'], empty: string): string =>
    table(['time', 'member', 'role', 'by'], rows.map((m) => [td(iso(m.time)), td(m.subject, 'id'), td(m.role ?? ''), td(m.actor, 'id')]), empty);
  const u = r.unusual;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .7em;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right}td.id{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
.n{font-weight:600}.none{color:#777}.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{border:1px solid #ddd;border-radius:6px;padding:.5em .9em;min-width:9em}
.verification{padding:.6em 1em;border-radius:6px}.verification.ok{background:#e6f4ea}.verification.failed{background:#fce8e6}.verification.unverified{background:#fef7e0}
rect.issued{fill:#3b73b9}rect.refused{fill:#d0483e}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>Authority <code>${escapeHtml(r.authority)}</code>; period ${iso(r.since)} to ${iso(r.until)}; generated ${iso(r.generatedAt)}.</p>
<div class="verification ${state}" data-verification="${state}"><strong>${verdict}</strong>: ${escapeHtml(v.detail)} (source: ${escapeHtml(v.source)}). Log records ${r.log.firstSeq} to ${r.log.lastSeq} read (${metric('log.records', r.log.records)}), ${metric('log.inPeriod', r.log.inPeriod)} in the period.</div>

<h2>Summary</h2>
<div class="cards">
<div class="card">Tickets created<br>${metric('tickets.created', r.tickets.created)}</div>
<div class="card">Tickets redeemed<br>${metric('tickets.redeemed', r.tickets.redeemed)}</div>
<div class="card">Tickets expired unused<br>${metric('tickets.expired', r.tickets.expired)}</div>
<div class="card">Ticket redemptions refused<br>${metric('tickets.refused', r.tickets.refused)}</div>
<div class="card">Members added<br>${metric('members.added', r.members.added.length)}</div>
<div class="card">Members removed<br>${metric('members.removed', r.members.removed.length)}</div>
<div class="card">Suspended / resumed<br>${metric('members.suspended', r.members.suspended)} / ${metric('members.resumed', r.members.resumed)}</div>
<div class="card">Credentials issued<br>${metric('credentials.issued', r.credentials.issued)}</div>
<div class="card">Refusals<br>${metric('refusals.total', r.refusals.total)}</div>
</div>

<h2>Issuance and refusals over time</h2>
<p>One pair of bars per ${escapeHtml(duration(r.chart.bucketMs))}.</p>
${chartSvg(r.chart.buckets, r.chart.bucketMs)}

<h2>Unusual</h2>
<h3>Tickets redeemed by ${u.sharedThreshold} or more identities or addresses</h3>
${table(['ticket (SHA-256)', 'identities', 'addresses', 'redemptions'], u.sharedTickets.map((t) => [td(t.ticketHash, 'id'), td(t.identities, 'num'), td(t.addresses, 'num'), td(t.redemptions, 'num')]), 'None.', (i) => ` data-shared-ticket="${escapeHtml((u.sharedTickets[i] as { ticketHash: string }).ticketHash)}"`)}
<h3>Refusal bursts (${u.burstThreshold} or more within ${escapeHtml(duration(u.burstWindowMs))})</h3>
${table(['from', 'to', 'refusals', 'main reason'], u.bursts.map((b) => [td(iso(b.start)), td(iso(b.end)), td(b.count, 'num'), td(b.reason)]), 'None.', (i) => ` data-burst="${(u.bursts[i] as { count: number }).count}"`)}

<h2>Refusals by reason</h2>
${counted('type: reason', r.refusals.byReason, 'reason', 'No refusals.')}

<h2>Credentials issued per member</h2>
${counted('member', r.credentials.perMember, 'member', 'No credentials issued.')}
<h2>Credentials issued per attribute</h2>
${counted('attribute', r.credentials.perAttribute, 'attribute', 'No attributes.')}

<h2>Longest-lived credentials</h2>
${table(['member', 'attributes', 'issued', 'expires', 'lifetime', 'record'], r.longestLived.map((c) => [td(c.subject, 'id'), td(c.attributes), td(iso(c.createdAt)), td(iso(c.expiresAt)), td(duration(c.lifetimeMs)), td(c.seq, 'num')]), 'No credentials issued.')}

<h2>Members added</h2>
${changes(r.members.added, 'None.')}
<h2>Members removed</h2>
${changes(r.members.removed, 'None.')}
</body></html>
`;
}
