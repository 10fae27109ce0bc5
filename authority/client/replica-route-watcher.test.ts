import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaRouteWatcher } from './replica-route-watcher.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const watchers: ReplicaRouteWatcher[] = [];
afterEach(async () => {
  for (const w of watchers.splice(0)) await w.stop();
});

describe('ReplicaRouteWatcher', () => {
  it('fetches at start, again on refreshSoon without waiting out the interval, and hands each answer on', async () => {
    const seen: string[][] = [];
    let calls = 0;
    const watcher = new ReplicaRouteWatcher({
      intervalMs: 60_000,
      fetchRoutes: async () => [`/ip4/127.0.0.1/tcp/${4000 + calls++}`],
      onRoutes: (routes) => { seen.push([...routes]); },
    });
    watchers.push(watcher);
    watcher.start();
    for (let i = 0; i < 100 && seen.length < 1; i++) await sleep(10);
    expect(seen).toEqual([['/ip4/127.0.0.1/tcp/4000']]);
    watcher.refreshSoon();
    for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(10);
    expect(seen).toEqual([['/ip4/127.0.0.1/tcp/4000'], ['/ip4/127.0.0.1/tcp/4001']]);
  });

  it('a refreshSoon during a fetch runs one more fetch after it; failures are retried at the interval', async () => {
    let calls = 0;
    let release: (() => void) | undefined;
    const applied: number[] = [];
    const watcher = new ReplicaRouteWatcher({
      intervalMs: 100,
      fetchRoutes: async () => {
        const n = ++calls;
        if (n === 1) await new Promise<void>((r) => { release = r; });
        if (n === 2) throw new Error('no answer');
        return [`/ip4/127.0.0.1/tcp/${n}`];
      },
      onRoutes: () => { applied.push(calls); },
    });
    watchers.push(watcher);
    watcher.start();
    for (let i = 0; i < 100 && release === undefined; i++) await sleep(10);
    watcher.refreshSoon();
    release!();
    for (let i = 0; i < 200 && applied.length < 2; i++) await sleep(10);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(applied.slice(0, 2)).toEqual([1, 3]);
  });

  it('stop aborts a running fetch and nothing is applied after it', async () => {
    let aborted = false;
    let applied = 0;
    const watcher = new ReplicaRouteWatcher({
      intervalMs: 100,
      fetchRoutes: async ({ signal }) => await new Promise<string[]>((resolve) => {
        signal?.addEventListener('abort', () => { aborted = true; resolve(['/ip4/127.0.0.1/tcp/1']); }, { once: true });
      }),
      onRoutes: () => { applied++; },
    });
    watcher.start();
    await sleep(50);
    await watcher.stop();
    expect(aborted).toBe(true);
    expect(applied).toBe(0);
  });
});
