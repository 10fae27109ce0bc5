/** One piece of a frame to replace: bytes `[start, end)` become `data`. */
export interface Replacement {
  readonly start: number;
  readonly end: number;
  readonly data: Uint8Array;
}

/**
 * A copy of `payload` with the given replacements (sorted by `start`, not overlapping)
 * applied; the bytes between them are copied unchanged. Returns `payload` itself when
 * there is nothing to replace.
 */
export function splice(payload: Buffer, replacements: readonly Replacement[]): Buffer {
  if (replacements.length === 0) return payload;
  let size = payload.length;
  for (const r of replacements) size += r.data.length - (r.end - r.start);
  const out = Buffer.allocUnsafe(size);
  let from = 0;
  let to = 0;
  for (const r of replacements) {
    to += payload.copy(out, to, from, r.start);
    out.set(r.data, to);
    to += r.data.length;
    from = r.end;
  }
  payload.copy(out, to, from);
  return out;
}
