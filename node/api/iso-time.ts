/** A time of the node API: ISO 8601 in UTC with milliseconds (`2024-05-01T12:00:00.000Z`). */
export type IsoTime = string;

/** Milliseconds since the epoch as an {@link IsoTime}. */
export function isoTime(ms: number): IsoTime {
  return new Date(ms).toISOString();
}

/** `T` with its fields `K` (milliseconds since the epoch inside the node) as ISO 8601 text. */
export type WithIsoTimes<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]: undefined extends T[P] ? IsoTime | undefined : IsoTime };

/**
 * A copy of `value` with the number fields `keys` turned into ISO 8601 text: the one
 * place where the node API turns internal times into what `--json` prints (every time in
 * the API is ISO 8601; durations stay numbers named with their unit, e.g. `uptimeMs`).
 */
export function withIsoTimes<T extends object, K extends keyof T>(value: T, keys: readonly K[]): WithIsoTimes<T, K> {
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of keys) {
    const v = out[key as string];
    if (typeof v === 'number') out[key as string] = isoTime(v);
  }
  return out as WithIsoTimes<T, K>;
}
