import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiRegistry } from '../../core/api/api-registry.js';
import { callControl } from '../../core/api/control-client.js';
import { ControlServer } from '../../core/api/control-server.js';
import { NotFoundError } from '../../core/errors.js';
import { NODE_API, type NodeParams } from '../api/node-api.js';
import type { TcpInletView } from '../api/tcp-inlet-view.js';
import { callNodeSocket } from './node-call.js';

describe('the typed node API over a real control socket', () => {
  let dir: string;
  let path: string;
  let server: ControlServer;
  let api: ApiRegistry<typeof NODE_API>;
  const seen: NodeParams<'tcp-inlet.create'>[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sym-api-'));
    path = join(dir, 'control.sock');
    server = new ControlServer({ path });
    api = new ApiRegistry(server, NODE_API, 'node');
    api.register('tcp-inlet.create', (params): TcpInletView => {
      seen.push(params);
      return { name: params.from, listen: params.from, outlet: params.outlet ?? 'outlet', createdAt: '2024-01-01T00:00:00.000Z', ...(params.via !== undefined ? { via: params.via } : {}) };
    });
    api.register('tcp-inlet.delete', ({ name }) => {
      if (name !== '127.0.0.1:1') throw new NotFoundError('portal', `no tcp inlet '${name}'`);
      return { deleted: name };
    });
    await server.start();
  });

  afterEach(async () => {
    seen.length = 0;
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes checked params to the handler and returns its typed result', async () => {
    const inlet = await callNodeSocket({ path }, 'tcp-inlet.create', { from: '127.0.0.1:0', via: 'postgres', to: undefined });
    expect(inlet).toEqual({ name: '127.0.0.1:0', listen: '127.0.0.1:0', outlet: 'outlet', via: 'postgres', createdAt: '2024-01-01T00:00:00.000Z' });
    const listen: string = inlet.listen;
    expect(listen).toBe('127.0.0.1:0');
    expect(seen).toEqual([{ from: '127.0.0.1:0', via: 'postgres' }]);
    await expect(callNodeSocket({ path }, 'tcp-inlet.delete', { name: '127.0.0.1:1' })).resolves.toEqual({ deleted: '127.0.0.1:1' });
  });

  it('answers unknown, missing and mistyped params with one error shape, before the handler runs', async () => {
    await expect(callControl({ path }, 'tcp-inlet.create', { from: '127.0.0.1:0', via: 'r', port: 1 }))
      .rejects.toMatchObject({ origin: 'node', kind: 'invalid', message: 'unknown parameter "port"' });
    await expect(callControl({ path }, 'tcp-inlet.create', { from: 5, via: 'r' }))
      .rejects.toMatchObject({ origin: 'node', kind: 'invalid', message: 'parameter "from" must be text of 1-1024 characters' });
    await expect(callControl({ path }, 'tcp-inlet.create', { from: '127.0.0.1:0' }))
      .rejects.toMatchObject({ origin: 'node', kind: 'invalid', message: 'give exactly one of "via" or "to"' });
    await expect(callControl({ path }, 'tcp-inlet.delete', {}))
      .rejects.toMatchObject({ origin: 'node', kind: 'invalid', message: 'missing parameter "name"' });
    expect(seen).toEqual([]);
    await expect(callNodeSocket({ path }, 'tcp-inlet.delete', { name: 'x' })).rejects.toMatchObject({ origin: 'portal', kind: 'not-found' });
  });

  it('registers only methods of the table, each once', () => {
    expect(() => (api as unknown as ApiRegistry<Record<string, never>>).register('tcp-inlet.nothing' as never, () => undefined as never))
      .toThrow("control method 'tcp-inlet.nothing' is not in the API table");
    expect(() => api.register('tcp-inlet.create', () => { throw new Error('unused'); })).toThrow("control method 'tcp-inlet.create' is already registered");
    expect(api.methods()).toEqual(['tcp-inlet.create', 'tcp-inlet.delete']);
  });
});
