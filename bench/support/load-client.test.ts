import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { IdleConnections, bulkUpload, openConnection, roundTrips } from './load-client.js';
import { BULK_ACK, MODE_BULK, startForwarder, startSink } from './sink-server.js';
import type { BenchServer } from './sink-server.js';

const servers: BenchServer[] = [];
const idle: IdleConnections[] = [];
afterEach(async () => {
  for (const i of idle.splice(0)) i.closeAll();
  for (const s of servers.splice(0).reverse()) await s.close();
});

async function sink(): Promise<BenchServer> {
  const s = await startSink();
  servers.push(s);
  return s;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('sink and load generator', () => {
  it('acknowledges a bulk upload only once every announced byte arrived', async () => {
    const s = await sink();
    const socket = await openConnection(s.address);
    const got: number[] = [];
    socket.on('data', (d: Buffer) => got.push(...d));
    const header = Buffer.alloc(9);
    header[0] = MODE_BULK;
    header.writeBigUInt64BE(10n, 1);
    // Header split across writes, body in pieces: no acknowledgement before byte 10.
    socket.write(header.subarray(0, 4));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(Buffer.concat([header.subarray(4), Buffer.alloc(6)]));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
    socket.write(Buffer.alloc(4));
    await until(() => got.length > 0);
    expect(got).toEqual([BULK_ACK]);
    socket.destroy();
  });

  it('measures bulk uploads and round trips directly and through the forwarder', async () => {
    const s = await sink();
    const f = await startForwarder(s.address);
    servers.push(f);
    for (const address of [s.address, f.address]) {
      const bulk = await bulkUpload(address, 4 * 1024 * 1024 + 123);
      expect(bulk.bytes).toBe(4 * 1024 * 1024 + 123);
      expect(bulk.mbPerSecond).toBeGreaterThan(0);
      const rt = await roundTrips(address, 150, 64, 20);
      expect(rt.roundTrips).toBeGreaterThan(10);
      expect(rt.perSecond).toBeCloseTo(rt.roundTrips / rt.seconds, 5);
      expect(rt.medianMicros).toBeGreaterThan(0);
    }
  });

  it('holds idle connections open and releases them all, also at the far side', async () => {
    const s = await sink();
    const conns = new IdleConnections();
    idle.push(conns);
    expect(await conns.open(s.address, 60, 16)).toBe(60);
    await until(() => s.connections() === 60);
    conns.closeAll();
    expect(conns.size).toBe(0);
    await until(() => s.connections() === 0);
  });

  it('closes a connection whose first byte is no known mode', async () => {
    const s = await sink();
    const socket = connect({ host: '127.0.0.1', port: Number(s.address.split(':')[1]) });
    socket.on('error', () => {});
    socket.write('X');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(s.connections()).toBe(0);
  });
});
