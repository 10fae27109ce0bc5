import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Node } from '../node/node.js';
import { TcpListener } from './tcp-listener.js';
import { TcpTransport } from './tcp-transport.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function serverOf(listener: TcpListener): Server {
  return (listener as unknown as { server: Server }).server;
}

function dial(address: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const [host, port] = address.split(':');
  const socket = connect({ host: host!, port: Number(port) });
  socket.on('error', () => undefined);
  cleanups.push(() => { socket.destroy(); });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve) => socket.once('connect', () => resolve({ socket, closed })));
}

describe('TcpListener', () => {
  it('reports an error of the listening socket (e.g. EMFILE on accept) instead of ending the process', async () => {
    const errors: string[] = [];
    const listener = new TcpListener(() => undefined, { onError: (e) => errors.push(e.message) });
    await listener.listen('127.0.0.1:0');
    cleanups.push(() => listener.shutdown());
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
    expect(() => serverOf(listener).emit('error', emfile)).not.toThrow();
    expect(errors).toEqual(['accept EMFILE']);
  });

  it('keeps at most maxIncomingConnections accepted connections per transport listener', async () => {
    const node = new Node({ name: 'n' });
    cleanups.push(() => node.stop());
    const transport = new TcpTransport(node, { maxIncomingConnections: 2 });
    const { address } = await transport.listen('127.0.0.1:0');
    await dial(address);
    await dial(address);
    await expect.poll(() => transport.connections().length).toBe(2);
    const third = await dial(address);
    await third.closed;
    expect(transport.connections()).toHaveLength(2);
  });

  it('refuses a bad maxIncomingConnections', () => {
    expect(() => new TcpTransport(new Node({ name: 'x' }), { maxIncomingConnections: 0 })).toThrow(/maxIncomingConnections/);
  });
});
