import { InvalidInputError, TimeoutError } from '../../../core/errors.js';
import { formatRoute } from '../../../core/routing/route.js';
import type { MessageSendResult } from '../../api/message-send.js';
import { connectFirstHop } from '../connect-first-hop.js';
import type { DaemonService } from '../service.js';

/** Longest payload `message.send` accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Registers `message.send { to, text, timeoutMs? }`: sends `text` from this node along
 * route `to` and waits for the reply. A route starting with a TCP hop that refuses or
 * cannot be reached fails at once with that reason.
 */
export const messageService: DaemonService = {
  name: 'message',
  start(ctx) {
    ctx.api.register('message.send', async ({ to, text, timeoutMs }, { signal }): Promise<MessageSendResult> => {
      const payload = Buffer.from(text, 'utf8');
      if (payload.length > MAX_MESSAGE_BYTES) throw new InvalidInputError('cli', `message exceeds ${MAX_MESSAGE_BYTES} bytes`);
      const route = ctx.parseRoute(to);
      if (route.length === 0) throw new InvalidInputError('routing', 'route is empty');
      const started = performance.now();
      const limit = timeoutMs ?? 10_000;
      await connectFirstHop(ctx.transports, route, { signal, timeoutMs: limit });
      const reply = await ctx.node.request(route, payload, { timeoutMs: limit, signal }).catch((err: unknown) => {
        throw err instanceof TimeoutError ? new TimeoutError('node', `no reply from ${to} within ${limit} ms`, { cause: err }) : err;
      });
      return {
        route: formatRoute(route),
        reply: Buffer.from(reply.payload).toString('utf8'),
        replyBytes: reply.payload.length,
        elapsedMs: Math.round((performance.now() - started) * 100) / 100,
      };
    });
  },
};
