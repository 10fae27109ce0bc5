import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, AlreadyExistsError, NotFoundError, TimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import { local } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { allowAll, denyAll } from './access-control.js';
import type { AccessControl } from './access-control.js';
import { EchoWorker } from './echo-worker.js';
import { Node } from './node.js';
import type { Worker, WorkerContext } from './worker.js';

const nodes: Node[] = [];
function makeNode(logger?: Logger): Node {
  const node = new Node({ name: `n${nodes.length}`, ...(logger ? { logger } : {}) });
  nodes.push(node);
  return node;
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Records payloads; optionally awaits a delay per message. */
class Recorder implements Worker {
  readonly seen: string[] = [];
  constructor(private readonly delayMs = 0) {}
  async handleMessage(_ctx: WorkerContext, m: Message): Promise<void> {
    if (this.delayMs > 0) await tick(this.delayMs * Math.random());
    this.seen.push(text(m.payload));
  }
}

function recordingLogger(): { logger: Logger; errors: Array<Record<string, unknown>> } {
  const errors: Array<Record<string, unknown>> = [];
  const logger: Logger = {
    debug() {}, info() {}, warn() {},
    error(obj) { errors.push(obj as Record<string, unknown>); },
    child() { return logger; },
  };
  return { logger, errors };
}

describe('Node', () => {
  it('delivers in order, one at a time, awaiting async handlers', async () => {
    const node = makeNode();
    const r = new Recorder(3);
    await node.startWorker('r', r);
    for (let i = 0; i < 30; i++) node.send([local('r')], bytes(String(i)));
    await expect.poll(() => r.seen.length).toBe(30);
    expect(r.seen).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
  });

  it('rejects a taken address and unknown workers', async () => {
    const node = makeNode();
    await node.startWorker('a', new EchoWorker());
    await expect(node.startWorker('a', new EchoWorker())).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(node.stopWorker('nope')).rejects.toBeInstanceOf(NotFoundError);
    expect(node.hasWorker('a')).toBe(true);
    await node.stopWorker('a');
    expect(node.hasWorker('a')).toBe(false);
  });

  it('isolates a throwing worker: logged, counted, keeps receiving, node keeps running', async () => {
    const { logger, errors } = recordingLogger();
    const node = makeNode(logger);
    const seen: string[] = [];
    await node.startWorker('flaky', {
      handleMessage(_ctx, m) {
        const t = text(m.payload);
        if (t === 'boom') throw new Error('kaput');
        if (t === 'reject') return Promise.reject(new Error('async kaput'));
        seen.push(t);
      },
    });
    await node.startWorker('echo', new EchoWorker());
    for (const t of ['a', 'boom', 'b', 'reject', 'c']) node.send([local('flaky')], bytes(t));
    await expect.poll(() => seen).toEqual(['a', 'b', 'c']);
    expect(node.stats.workerErrors).toBe(2);
    expect(errors.map((e) => e.worker)).toEqual(['flaky', 'flaky']);
    expect((errors[0]!.err as Error).message).toBe('kaput');
    const reply = await node.request([local('echo')], bytes('still up'), { timeoutMs: 1000 });
    expect(text(reply.payload)).toBe('still up');
  });

  it('applies incoming access control before enqueueing, defaulting to allow local', async () => {
    const node = makeNode();
    const r = new Recorder();
    await node.startWorker('r', r);
    node.route({ onwardRoute: [local('r')], returnRoute: [], payload: bytes('remote'), origin: { via: 'tcp' } });
    node.send([local('r')], bytes('local'));
    await expect.poll(() => r.seen).toEqual(['local']);
    expect(node.stats.denied).toBe(1);
    node.setAccessControl('r', { incoming: allowAll });
    node.route({ onwardRoute: [local('r')], returnRoute: [], payload: bytes('remote'), origin: { via: 'tcp' } });
    await expect.poll(() => r.seen).toEqual(['local', 'remote']);
  });

  it('keeps order with asynchronous access control and treats throw/reject as deny', async () => {
    const node = makeNode();
    const r = new Recorder();
    let calls = 0;
    const slowThenFast: AccessControl = {
      isAuthorized: ({ message }) => {
        calls++;
        const t = text(message.payload);
        if (t === 'throw') throw new Error('bad policy');
        if (t === 'reject') return Promise.reject(new Error('bad async policy'));
        return calls % 2 === 0 ? true : tick(10).then(() => t !== 'deny');
      },
    };
    await node.startWorker('r', r, { incoming: slowThenFast });
    for (const t of ['1', '2', 'throw', '3', 'deny', 'reject', '4', '5']) node.send([local('r')], bytes(t));
    await expect.poll(() => node.stats.denied).toBe(3);
    await expect.poll(() => r.seen).toEqual(['1', '2', '3', '4', '5']);
  });

  it('calls the onIncomingDenied hook for denied messages only (sync and async controls), under outgoing control', async () => {
    const node = makeNode();
    const worker = new Recorder();
    const denied: string[] = [];
    const replies = new Recorder();
    await node.startWorker('replies', replies, { incoming: allowAll });
    const asyncDeny: AccessControl = { isAuthorized: async ({ message }) => text(message.payload) === 'ok' };
    await node.startWorker('guarded', worker, {
      incoming: asyncDeny,
      onIncomingDenied: (ctx, m) => { denied.push(text(m.payload)); ctx.send(m.returnRoute, bytes('no')); },
    });
    await node.startWorker('sync', new Recorder(), {
      incoming: denyAll,
      outgoing: denyAll,
      onIncomingDenied: (ctx, m) => ctx.send(m.returnRoute, bytes('leak')),
    });
    node.send([local('guarded')], bytes('ok'), { returnRoute: [local('replies')] });
    node.send([local('guarded')], bytes('bad'), { returnRoute: [local('replies')] });
    node.send([local('sync')], bytes('x'), { returnRoute: [local('replies')] });
    await tick(10);
    expect(worker.seen).toEqual(['ok']);
    expect(denied).toEqual(['bad']);
    // The hook's reply passed the guarded worker's outgoing control; the 'sync' one did not.
    expect(replies.seen).toEqual(['no']);
    expect(node.stats.denied).toBe(3);
  });

  it('isolates a throwing onIncomingDenied hook', async () => {
    const node = makeNode();
    await node.startWorker('w', new Recorder(), { incoming: denyAll, onIncomingDenied: () => { throw new Error('boom'); } });
    expect(() => node.send([local('w')], bytes('x'))).not.toThrow();
    expect(node.stats).toMatchObject({ denied: 1, workerErrors: 1 });
  });

  it('applies outgoing access control to ctx.send and ctx.forward', async () => {
    const node = makeNode();
    const sink = new Recorder();
    await node.startWorker('sink', sink);
    const sender: Worker = {
      handleMessage(ctx, m) {
        if (text(m.payload) === 'forward') ctx.forward({ onwardRoute: [local('sink')], returnRoute: [], payload: bytes('forwarded') });
        else ctx.send([local('sink')], m.payload);
      },
    };
    await node.startWorker('blocked', sender, { outgoing: denyAll });
    await node.startWorker('throwing', sender, { outgoing: { isAuthorized: () => { throw new Error('x'); } } });
    await node.startWorker('async', sender, { outgoing: { isAuthorized: async ({ message }) => text(message.payload) !== 'no' } });
    node.send([local('blocked')], bytes('b1'));
    node.send([local('blocked')], bytes('forward'));
    node.send([local('throwing')], bytes('t1'));
    for (const t of ['a1', 'no', 'a2', 'forward']) node.send([local('async')], bytes(t));
    await expect.poll(() => sink.seen).toEqual(['a1', 'a2', 'forwarded']);
    expect(node.stats.denied).toBe(4);
  });

  it('counts undeliverable messages without throwing', async () => {
    const node = makeNode();
    node.send([local('nobody')], bytes('x'));
    node.send([{ type: 1, value: '127.0.0.1:1' }], bytes('x'));
    node.send([], bytes('x'));
    expect(node.stats.dropped).toBe(2);
    expect(node.stats.malformed).toBe(1);
  });

  it('request: resolves with the first reply and removes its address', async () => {
    const node = makeNode();
    await node.startWorker('echo', new EchoWorker());
    const before = node.workerAddresses().length;
    const reply = await node.request([local('echo')], bytes('hi'));
    expect(text(reply.payload)).toBe('hi');
    expect(reply.returnRoute).toEqual([local('echo')]);
    expect(node.workerAddresses().length).toBe(before);
  });

  it('request: times out and aborts, cleaning up either way', async () => {
    const node = makeNode();
    await node.startWorker('silent', { handleMessage() {} });
    await expect(node.request([local('silent')], bytes('x'), { timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const pending = node.request([local('silent')], bytes('x'), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    await expect(node.request([local('silent')], bytes('x'), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    expect(node.workerAddresses()).toEqual(['silent']);
    const stopped = node.request([local('silent')], bytes('x'));
    await node.stop();
    await expect(stopped).rejects.toBeInstanceOf(AbortedError);
  });

  it('hosts 10,000 workers cheaply and routes to each', async () => {
    const node = makeNode();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) await node.startWorker(`w${i}`, new EchoWorker());
    const heapPerWorker = (process.memoryUsage().heapUsed - heapBefore) / 10_000;
    const replies = await Promise.all(Array.from({ length: 10_000 }, (_, i) => node.request([local(`w${i}`)], bytes(String(i)), { timeoutMs: 10_000 })));
    expect(replies.every((r, i) => text(r.payload) === String(i))).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(heapPerWorker).toBeLessThan(2_000);
    expect(node.stats.delivered).toBe(20_000);
  });

  it('does not starve I/O when workers ping-pong forever', async () => {
    const node = makeNode();
    let exchanges = 0;
    const pingPong: Worker = { handleMessage(ctx, m) { exchanges++; ctx.send(m.returnRoute, m.payload); } };
    await node.startWorker('ping', pingPong);
    await node.startWorker('pong', pingPong);
    node.send([local('ping')], bytes('ball'), { returnRoute: [local('pong')] });
    await tick(20);
    expect(exchanges).toBeGreaterThan(1000);
  });

  it('stop() shuts every worker down and leaves no handles', async () => {
    const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
    const before = resources();
    const node = new Node({ name: 'fresh' });
    const shutdowns: string[] = [];
    const worker = (name: string): Worker => ({ handleMessage() {}, shutdown: () => { shutdowns.push(name); } });
    await node.startWorker('a', worker('a'));
    await node.startWorker('b', worker('b'));
    const pending = node.request([local('a')], bytes('x'), { timeoutMs: 60_000 });
    await node.stop();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(shutdowns.sort()).toEqual(['a', 'b']);
    expect(node.workerAddresses()).toEqual([]);
    await expect(node.startWorker('c', worker('c'))).rejects.toBeInstanceOf(AbortedError);
    expect(resources()).toEqual(before);
  });

  it('hands messages for a missing address to the handler of its prefix, after counting them as dropped', async () => {
    const node = makeNode();
    const seen: string[] = [];
    const unsubscribe = node.onMissingWorker('forward_to_', (m) => seen.push(`${m.onwardRoute[0]!.value}:${text(m.payload)}`));
    expect(() => node.onMissingWorker('forward_to_', () => undefined)).toThrow(AlreadyExistsError);
    node.send([local('forward_to_db')], bytes('a'));
    node.send([local('elsewhere')], bytes('b'));
    await node.startWorker('forward_to_live', new Recorder());
    node.send([local('forward_to_live')], bytes('c'));
    await tick();
    expect(seen).toEqual(['forward_to_db:a']);
    expect(node.stats.dropped).toBe(2);
    unsubscribe();
    node.send([local('forward_to_db')], bytes('d'));
    await tick();
    expect(seen).toEqual(['forward_to_db:a']);
  });
});

