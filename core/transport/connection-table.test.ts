import { afterEach, describe, expect, it, vi } from 'vitest';
import { Node } from '../node/node.js';
import type { WorkerContext } from '../node/worker.js';
import { TCP, local, tcp } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { ConnectionTable } from './connection-table.js';
import type { TableConnection } from './connection-table.js';
import type { TransportConnectionInfo } from './transport.js';

/**
 * A connection without a socket: what the table sees of one. It records heartbeats and
 * messages, and reports its close to the table as TcpConnection and WsConnection do.
 */
class LoopConnection implements TableConnection {
  readActivity = false;
  writeActivity = false;
  lastReadAt = Date.now();
  lastWriteAt = Date.now();
  heartbeats = 0;
  readonly received: Message[] = [];
  readonly forwarded = new Set<string>();
  private closedFlag = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly table: ConnectionTable<LoopConnection>,
    readonly workerAddress: string,
    readonly remote: string,
    readonly direction: 'incoming' | 'outgoing' = 'incoming',
  ) {}

  get isClosed(): boolean {
    return this.closedFlag;
  }

  handleMessage(_ctx: WorkerContext, message: Message): void {
    this.received.push(message);
  }

  sendHeartbeat(): void {
    this.heartbeats++;
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.controller.abort();
    this.table.closed(this);
  }

  async shutdown(): Promise<void> {
    this.close();
  }

  closedSignal(): AbortSignal {
    return this.controller.signal;
  }

  forwardedTo(remote: string): boolean {
    return this.forwarded.has(remote);
  }

  info(): TransportConnectionInfo {
    return {
      workerAddress: this.workerAddress, remote: this.remote, direction: this.direction, openedAt: 0,
      bytesIn: 0, bytesOut: 0, bufferedBytes: 0, paused: false,
    };
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(options: { heartbeatIntervalMs?: number; heartbeatTimeoutMs?: number; forwardTo?: string[] } = {}) {
  const node = new Node({ name: 'table', allowForwardingTo: (options.forwardTo ?? []).map((d) => tcp(d)) });
  cleanups.push(() => node.stop());
  const stats = { heartbeatTimeouts: 0 };
  const table = new ConnectionTable<LoopConnection>({
    name: 'tcp', addressType: TCP, node, logger: node.logger, stats,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000, heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 20_000,
  });
  cleanups.push(() => table.closeAll());
  const open = (remote: string, direction: 'incoming' | 'outgoing' = 'incoming'): LoopConnection => {
    const connection = new LoopConnection(table, node.freshAddress('tcp-conn'), remote, direction);
    table.add(connection);
    return connection;
  };
  return { node, table, stats, open };
}

const fromOutside = (to: string, arrivedOn?: string): Message => ({
  onwardRoute: [local(to)],
  returnRoute: arrivedOn === undefined ? [] : [local(arrivedOn)],
  payload: new Uint8Array([1]),
  origin: { via: 'tcp' },
});

/** Lets the node's worker queues run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ConnectionTable', () => {
  it('registers a connection as a worker and forgets it, its worker and its outgoing entry on close', async () => {
    const { node, table, open } = setup();
    const a = open('127.0.0.1:1000', 'outgoing');
    table.setOutgoing(a);
    expect(node.hasWorker(a.workerAddress)).toBe(true);
    expect(table.size).toBe(1);
    expect(table.get(a.workerAddress)).toBe(a);
    expect(table.outgoingTo('127.0.0.1:1000')).toBe(a);
    expect(table.connections().map((c) => c.workerAddress)).toEqual([a.workerAddress]);
    const signal = table.closedSignal(a.workerAddress)!;
    expect(signal.aborted).toBe(false);

    a.close();
    await settle();
    expect(signal.aborted).toBe(true);
    expect(table.size).toBe(0);
    expect(table.get(a.workerAddress)).toBeUndefined();
    expect(table.outgoingTo('127.0.0.1:1000')).toBeUndefined();
    expect(table.closedSignal(a.workerAddress)).toBeUndefined();
    expect(node.hasWorker(a.workerAddress)).toBe(false);
  });

  it('keeps a newer outgoing connection to the same remote when an older one closes', () => {
    const { table, open } = setup();
    const old = open('127.0.0.1:1000', 'outgoing');
    table.setOutgoing(old);
    const newer = open('127.0.0.1:1000', 'outgoing');
    table.setOutgoing(newer);
    old.close();
    expect(table.outgoingTo('127.0.0.1:1000')).toBe(newer);
  });

  it('tells every closed listener, even when one throws, and stops after unsubscribe', () => {
    const { table, open } = setup();
    const seen: string[] = [];
    table.onClosed(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = table.onClosed((info) => seen.push(info.workerAddress));
    const a = open('127.0.0.1:1');
    a.close();
    expect(seen).toEqual([a.workerAddress]);
    unsubscribe();
    open('127.0.0.1:2').close();
    expect(seen).toEqual([a.workerAddress]);
  });

  it('finds the connection a message arrived on from its return route', () => {
    const { table, open } = setup();
    const a = open('127.0.0.1:1');
    expect(table.sourceOf(fromOutside('x', a.workerAddress))).toBe(a);
    expect(table.sourceOf(fromOutside('x', 'not-a-connection'))).toBeUndefined();
    expect(table.sourceOf(fromOutside('x'))).toBeUndefined();
    expect(table.sourceOf({ ...fromOutside('x'), returnRoute: [{ type: TCP, value: a.workerAddress }] })).toBeUndefined();
  });

  it('lets into a connection only local messages, replies it forwarded, or anything for an allowed destination', async () => {
    const { node, open } = setup({ forwardTo: ['127.0.0.1:9'] });
    const incoming = open('127.0.0.1:1');
    const other = open('127.0.0.1:2');
    const allowed = open('127.0.0.1:9', 'outgoing');

    node.route(fromOutside(incoming.workerAddress, other.workerAddress));
    node.route(fromOutside(incoming.workerAddress));
    node.send([local(incoming.workerAddress)], new Uint8Array([2]));
    await settle();
    expect(incoming.received.map((m) => m.payload[0])).toEqual([2]);

    // A reply from the connection this one's traffic was forwarded to gets in.
    incoming.forwarded.add(other.remote);
    node.route(fromOutside(incoming.workerAddress, other.workerAddress));
    await settle();
    expect(incoming.received).toHaveLength(2);

    node.route(fromOutside(allowed.workerAddress));
    await settle();
    expect(allowed.received).toHaveLength(1);
  });

  it('sends heartbeats to quiet connections and closes silent ones on one shared timer', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { table, stats, open } = setup({ heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 3_000 });
    const quiet = open('127.0.0.1:1');
    const talking = open('127.0.0.1:2');
    const closed: string[] = [];
    table.onClosed((info) => closed.push(info.workerAddress));

    for (let second = 0; second < 3; second++) {
      talking.readActivity = true;
      talking.writeActivity = true;
      vi.advanceTimersByTime(1_000);
    }
    expect(quiet.heartbeats).toBeGreaterThanOrEqual(2);
    expect(talking.heartbeats).toBe(0);
    expect(closed).toEqual([]);

    talking.readActivity = true;
    vi.advanceTimersByTime(1_500);
    expect(closed).toEqual([quiet.workerAddress]);
    expect(stats.heartbeatTimeouts).toBe(1);
    expect(talking.isClosed).toBe(false);

    // With the last connection gone, the timer stops.
    talking.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('closes every connection and stops the timer on closeAll', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { node, table, open } = setup();
    const a = open('127.0.0.1:1');
    const b = open('127.0.0.1:2');
    expect(vi.getTimerCount()).toBe(1);
    await table.closeAll();
    expect(a.isClosed && b.isClosed).toBe(true);
    expect(table.size).toBe(0);
    expect(node.hasWorker(a.workerAddress) || node.hasWorker(b.workerAddress)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
