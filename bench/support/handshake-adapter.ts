/**
 * Runs bench/handshake.ts (full mutual-auth handshakes with credentials and policy) when
 * it is part of the build, and reads its handshakes-per-second figure. Loaded by name at
 * run time so the benchmark runs, and says what is missing, without it.
 */
import { NotFoundError } from '../../core/errors.js';

/** What the handshake benchmark reported. */
export interface HandshakeFigures {
  readonly handshakesPerSecond: number;
  /** The benchmark's own result, as it returned it. */
  readonly detail: unknown;
}

const RATE_FIELDS = ['handshakesPerSecond', 'perSecond', 'value'] as const;

/** Finds the first numeric rate field in a benchmark result. */
export function handshakeRate(result: unknown): number | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  for (const field of RATE_FIELDS) {
    const v = (result as Record<string, unknown>)[field];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Imports bench/handshake and runs its exported `bench*` function; NotFoundError when absent. */
export async function benchHandshakesIfPresent(): Promise<HandshakeFigures> {
  const specifier = new URL(`../handshake${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND') throw new NotFoundError('channel', 'bench/handshake.ts is not there yet: handshakes not measured');
    throw error;
  }
  const run = Object.entries(module).find(([name, v]) => name.startsWith('bench') && typeof v === 'function')?.[1] as (() => Promise<unknown>) | undefined;
  if (!run) throw new NotFoundError('channel', 'bench/handshake.ts exports no bench function');
  const detail = await run();
  const handshakesPerSecond = handshakeRate(detail);
  if (handshakesPerSecond === undefined) throw new NotFoundError('channel', 'bench/handshake.ts result has no handshakes-per-second figure');
  return { handshakesPerSecond, detail };
}
