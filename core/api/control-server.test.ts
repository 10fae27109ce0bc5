import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from './control-server.js';
import { ControlClient, callControl } from './control-client.js';
import { NotFoundError, SymbolonError } from '../errors.js';

/** Sends raw bytes and collects response lines until `count` lines or the socket closes. */
function raw(path: string, data: string | Buffer, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let text = '';
    const done = (): void => {
      s.destroy();
      resolve(text.split('\n').filter((l) => l !== ''));
    };
    s.on('data', (c) => {
      text += c.toString('utf8');
      if (text.split('\n').filter((l) => l !== '').length >= count) done();
    });
    s.on('close', done);
    s.on('error', reject);
    s.write(data);
  });
}

describe('ControlServer and ControlClient', () => {
  let dir: string;
  let path: string;
  let server: ControlServer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sym-ctl-'));
    path = join(dir, 'run', 'control.sock');
    server = new ControlServer({ path, maxRequestBytes: 4096 });
    server.register('echo', (params) => params);
    server.register('fail', () => { throw new NotFoundError('node', "worker 'x' not found"); });
    server.register('crash', () => { throw new Error('secret detail'); });
    server.register('slow', (_p, { signal }) => new Promise((resolve) => {
      const t = setTimeout(() => resolve('late'), 5000);
      signal.addEventListener('abort', () => { clearTimeout(t); resolve('aborted'); });
    }));
    await server.start();
  });

  afterEach(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers calls and pipelines them over one connection', async () => {
    const client = new ControlClient({ path, name: 'n1' });
    try {
      const results = await Promise.all([1, 2, 3].map((n) => client.call('echo', { n })));
      expect(results).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    } finally {
      client.close();
    }
  });

  it('creates the socket with mode 0600 in a 0700 folder', () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
  });

  it('rethrows error replies as SymbolonErrors with origin and kind', async () => {
    const err = await callControl({ path }, 'fail').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SymbolonError);
    expect((err as SymbolonError).toJSON()).toEqual({ error: { origin: 'node', kind: 'not-found', message: "worker 'x' not found" } });
  });

  it('hides unexpected errors behind an internal error', async () => {
    const err = await callControl({ path }, 'crash').catch((e: unknown) => e) as SymbolonError;
    expect(err.kind).toBe('internal');
    expect(err.message).not.toContain('secret');
  });

  it('replies to an unknown method with not-found', async () => {
    await expect(callControl({ path }, 'nope.nothing')).rejects.toMatchObject({ kind: 'not-found', message: "unknown control method 'nope.nothing'" });
  });

  it('replies to malformed requests and keeps serving', async () => {
    const lines = await raw(path, 'not json\n[1]\n{"id":1}\n{"id":2,"method":"echo","params":[1]}\n{"method":"echo"}\n{"id":3,"method":"echo","params":{"a":1}}\n', 6);
    const replies = lines.map((l) => JSON.parse(l) as { id: unknown; error?: { kind: string }; result?: unknown });
    expect(replies.slice(0, 5).map((r) => [r.id, r.error?.kind])).toEqual([
      [null, 'invalid'], [null, 'invalid'], [1, 'invalid'], [2, 'invalid'], [null, 'invalid'],
    ]);
    expect(replies[5]).toEqual({ id: 3, result: { a: 1 } });
  });

  it('rejects an oversized request and closes only that connection', async () => {
    const lines = await raw(path, Buffer.alloc(10_000, 0x61), 1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: null, error: { kind: 'invalid', message: 'request exceeds 4096 bytes' } });
    await expect(callControl({ path }, 'echo', { ok: true })).resolves.toEqual({ ok: true });
  });

  it('times out a slow call with a clear message', async () => {
    await expect(callControl({ path, name: 'n1' }, 'slow', {}, { timeoutMs: 100 }))
      .rejects.toMatchObject({ kind: 'timeout', message: "node 'n1' did not answer 'slow' within 100 ms" });
  });

  it('aborts a call through its signal', async () => {
    const ac = new AbortController();
    const p = callControl({ path }, 'slow', {}, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('refuses a second server on a live socket and replaces a stale one', async () => {
    const second = new ControlServer({ path });
    await expect(second.start()).rejects.toMatchObject({ kind: 'already-exists' });
    await server.stop();
    expect(existsSync(path)).toBe(false);
    server = new ControlServer({ path });
    server.register('echo', (p) => p);
    await server.start();
    await expect(callControl({ path }, 'echo', { x: 1 })).resolves.toEqual({ x: 1 });
  });

  it('rejects duplicate and malformed method names', () => {
    expect(() => server.register('echo', () => 1)).toThrow(/already registered/);
    expect(() => server.register('Bad Name', () => 1)).toThrow(/invalid control method name/);
    expect(server.methods()).toEqual(['crash', 'echo', 'fail', 'slow']);
  });

  it('says the node is not running when nothing listens', async () => {
    await server.stop();
    await expect(callControl({ path, name: 'n1' }, 'echo')).rejects.toMatchObject({ kind: 'io', message: "node 'n1' is not running" });
  });
});
