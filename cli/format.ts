import { InvalidInputError } from '../core/errors.js';

/** Lays out rows as aligned columns under `headers`, two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `label: value` lines with the values aligned. */
export function fields(entries: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(...entries.map(([k]) => k.length)) + 1;
  return entries.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)} ${v}`).join('\n');
}

/** A duration for humans: `45s`, `12m 3s`, `5h 2m`, `3d 4h`. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `10s`, `2m`, `1h` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 24 * 3_600_000) {
    throw new InvalidInputError('cli', `invalid duration '${text}': use e.g. 500ms, 10s, 2m`);
  }
  return Math.round(ms);
}

/**
 * The `last error` field of `show`: `-`, `MESSAGE (at TIME)` while it holds, or
 * `MESSAGE (at TIME; old: recovered at TIME)` once a later success followed it.
 */
export function lastErrorField(s: { readonly lastError?: string; readonly lastErrorAt?: string; readonly recoveredAt?: string } | undefined, fallbackAt?: string): string {
  if (s?.lastError === undefined) return '-';
  const at = s.lastErrorAt ?? fallbackAt;
  const times = [...(at !== undefined ? [`at ${at}`] : []), ...(s.recoveredAt !== undefined ? [`old: recovered at ${s.recoveredAt}`] : [])];
  return times.length === 0 ? s.lastError : `${s.lastError} (${times.join('; ')})`;
}
