import { afterEach, describe, expect, it } from 'vitest';
import { IoError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { allowAll } from '../../core/node/access-control.js';
import { Node } from '../../core/node/node.js';
import { local } from '../../core/routing/address.js';
import type { Message } from '../../core/routing/message.js';
import { decodeResponse, encodeRequest } from './protocol.js';
import { AuthorityServiceWorker } from './service-worker.js';
import type { ServiceMethod } from './service-worker.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

const peer = { identifier: 'I00', attributes: {}, channel: 'enc' };

/** A node with `methods` served at `svc` and a worker at `client` collecting replies. */
async function serve(methods: Record<string, ServiceMethod>, logger?: Logger): Promise<{ node: Node; worker: AuthorityServiceWorker; replies: Message[] }> {
  const node = new Node({ name: 'authority', ...(logger ? { logger } : {}) });
  nodes.push(node);
  const worker = new AuthorityServiceWorker('svc', methods);
  await node.startWorker('svc', worker, { incoming: allowAll });
  const replies: Message[] = [];
  await node.startWorker('client', { handleMessage: (_ctx, m) => { replies.push(m); } }, { incoming: allowAll });
  return { node, worker, replies };
}

function call(node: Node, id: number, method: string): void {
  node.route({
    onwardRoute: [local('svc')],
    returnRoute: [local('client')],
    payload: encodeRequest({ id, method, params: {} }),
    origin: { via: 'channel', peer },
  });
}

describe('authority service worker faults', () => {
  it('never sends server-side failure text (database errors) to the caller, but keeps its kind', async () => {
    const { node, replies } = await serve({
      db: async () => { throw new IoError('authority', 'authority database query failed: password authentication failed for user "bank" at db.internal:5432'); },
      missing: async () => { throw new NotFoundError('authority', 'Ix is not a member of this project'); },
    });
    call(node, 1, 'db');
    call(node, 2, 'missing');
    await expect.poll(() => replies.length).toBe(2);
    const [db, missing] = replies.map((r) => decodeResponse(r.payload));
    expect(db).toMatchObject({ id: 1, ok: false, error: { kind: 'io', message: 'the authority svc service failed to handle the request' } });
    expect(JSON.stringify(db)).not.toMatch(/password|db\.internal|bank/);
    expect(missing).toMatchObject({ id: 2, ok: false, error: { kind: 'not-found', message: 'Ix is not a member of this project' } });
  });

  it('a fault in the error path (a throwing logger) is contained: no unhandled rejection, the service keeps serving', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    try {
      const throwing: Logger = {
        debug() {}, info() {}, warn() {},
        error() { throw new Error('log sink is gone'); },
        child() { return throwing; },
      };
      let calls = 0;
      const { node, worker, replies } = await serve({
        boom: async () => { throw new Error('bug'); },
        ok: async () => ({ n: ++calls }),
      }, throwing);
      call(node, 1, 'boom');
      call(node, 2, 'ok');
      await expect.poll(() => replies.length).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      expect(decodeResponse(replies[0]!.payload)).toMatchObject({ id: 2, ok: true, result: { n: 1 } });
      expect(worker.stats.failed).toBe(1);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
