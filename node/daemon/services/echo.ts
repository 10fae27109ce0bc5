import { allowLocal } from '../../../core/node/access-control.js';
import { EchoWorker } from '../../../core/node/echo-worker.js';
import type { DaemonService } from '../service.js';

/** Local address of the echo service. */
export const ECHO_ADDRESS = 'echo';

/**
 * Starts the `echo` worker, which returns every payload to its sender. It answers local
 * callers only until the policy service attaches echo's policy guard (remote callers:
 * project members by default; see services/policy.ts).
 */
export const echoService: DaemonService = {
  name: 'echo',
  async start(ctx) {
    await ctx.node.startWorker(ECHO_ADDRESS, new EchoWorker(), { incoming: allowLocal });
  },
};
