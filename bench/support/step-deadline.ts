/**
 * A bound on one benchmark step: a step that does not settle in time rejects with an error
 * naming it, so `npm run bench` reports the stall and goes on instead of hanging.
 */
import { TimeoutError } from '../../core/errors.js';

/** Resolves or rejects as `step` does, or rejects with a TimeoutError naming `what` after `ms`. */
export function within<T>(what: string, ms: number, step: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError('node', `bench step "${what}" did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([step, deadline]).finally(() => clearTimeout(timer));
}
