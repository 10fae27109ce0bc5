import { InvalidInputError, TimeoutError } from '../../../core/errors.js';
import { formatRoute } from '../../../core/routing/route.js';
import type { DaemonService } from '../service.js';

/** Longest payload `message.send` accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** What `message.send` returns. */
export interface MessageSendResult {
  /** The route the message took, with `/node/NAME` resolved. */
  readonly route: string;
  /** The reply payload as UTF-8 text. */
  readonly reply: string;
  /** The reply payload's length in bytes. */
  readonly replyBytes: number;
  readonly elapsedMs: number;
}

/**
 * Registers `message.send { to, text, timeoutMs? }`: sends `text` from this node along
 * route `to` and waits for the reply.
 */
export const messageService: DaemonService = {
  name: 'message',
  start(ctx) {
    ctx.control.register('message.send', async (params, { signal }): Promise<MessageSendResult> => {
      const { to, text, timeoutMs } = params;
      if (typeof to !== 'string') throw new InvalidInputError('cli', 'message.send needs a route "to"');
      if (typeof text !== 'string') throw new InvalidInputError('cli', 'message.send needs a "text"');
      if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= 600_000))) {
        throw new InvalidInputError('cli', 'timeoutMs must be between 1 and 600000');
      }
      const payload = Buffer.from(text, 'utf8');
      if (payload.length > MAX_MESSAGE_BYTES) throw new InvalidInputError('cli', `message exceeds ${MAX_MESSAGE_BYTES} bytes`);
      const route = ctx.parseRoute(to);
      if (route.length === 0) throw new InvalidInputError('routing', 'route is empty');
      const started = performance.now();
      const limit = timeoutMs ?? 10_000;
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
