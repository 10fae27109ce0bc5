import { describe, expect, it } from 'vitest';
import { encodeDeterministic } from '../../core/cbor.js';
import { allowAll } from '../../core/node/access-control.js';
import { local } from '../../core/routing/address.js';
import type { Route } from '../../core/routing/message.js';
import { TimeoutError } from '../../core/errors.js';
import { projectFixture } from './testing/project-fixture.js';
import { startStampedChannel } from './testing/stamped-channel.js';
import { MAX_REQUEST_BYTES, decodeResponse, encodeRequest } from './protocol.js';
import { AuthorityServiceWorker } from './service-worker.js';

describe('authority service workers', () => {
  it('answer malformed requests with an error reply and keep serving', async () => {
    const f = await projectFixture();
    try {
      const channel = await startStampedChannel(f.node, f.admin.identifier, f.authorityIdentity.identifier);
      const ask = async (service: string, payload: Uint8Array) => decodeResponse((await f.node.request([...channel.route, local(service)], payload, { timeoutMs: 2000 })).payload);
      const bad: Array<[string, Uint8Array, RegExp]> = [
        ['enrollment', new Uint8Array([0xff, 0x00, 0x13]), /malformed authority request/],
        ['enrollment', encodeDeterministic({ version: 2, id: 5, method: 'redeem', params: {} }), /version 2 is not supported/],
        ['enrollment', encodeRequest({ id: 6, method: 'steal', params: {} }), /has no method "steal"/],
        ['enrollment', encodeRequest({ id: 7, method: 'redeem', params: { code: new Uint8Array(5) } }), /"code" must be 32 bytes/],
        ['enrollment', encodeRequest({ id: 8, method: 'redeem', params: { code: new Uint8Array(32), extra: 1 } }), /unknown parameter "extra"/],
        ['tickets', encodeRequest({ id: 9, method: 'create', params: { usageCount: 'many' } }), /"usageCount" must be a non-negative integer/],
        ['tickets', encodeRequest({ id: 10, method: 'create', params: { usageCount: 0 } }), /usage count must be/],
        ['members', encodeRequest({ id: 11, method: 'add', params: { identifier: 'Ix', attributes: { 'bad key': 'v' } } }), /member attributes: attribute name "bad key"/],
        ['members', encodeRequest({ id: 12, method: 'toString', params: {} }), /has no method "toString"/],
        ['audit', new Uint8Array(MAX_REQUEST_BYTES + 10), /larger than/],
      ];
      for (const [service, payload, message] of bad) {
        const reply = await ask(service, payload);
        expect(reply.ok).toBe(false);
        expect(reply.ok === false && reply.error.message).toMatch(message);
        expect(reply.ok === false && reply.error.kind).toBe('invalid');
      }
      expect((await ask('enrollment', encodeDeterministic({ version: 2, id: 5 }))).id).toBe(5);
      expect(f.project.services.stats('enrollment').malformed).toBe(3);
      const ok = await ask('members', encodeRequest({ id: 99, method: 'list', params: {} }));
      expect(ok).toMatchObject({ ok: true, id: 99 });
      await channel.stop();
    } finally {
      await f.cleanup();
    }
  });

  it('deny local and unauthenticated messages by default; a service reached without a channel peer refuses', async () => {
    const f = await projectFixture();
    try {
      const request = encodeRequest({ id: 1, method: 'list', params: {} });
      await expect(f.node.request([local('members')], request, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
      expect(f.node.stats.denied).toBeGreaterThan(0);
      const open = new AuthorityServiceWorker('members', { list: async () => ({}) });
      await f.node.startWorker('open-members', open, { incoming: allowAll });
      const reply = decodeResponse((await f.node.request([local('open-members')], request, { timeoutMs: 1000 })).payload);
      expect(reply).toMatchObject({ ok: false, error: { kind: 'unauthorized', message: 'the authority members service answers only requests made over a secure channel' } });
    } finally {
      await f.cleanup();
    }
  });

  it('hides internal failures from the caller and serves requests concurrently', async () => {
    const f = await projectFixture();
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const worker = new AuthorityServiceWorker('test', {
        slow: async () => { await gate; return { done: true }; },
        fast: async () => ({ done: true }),
        broken: async () => { throw new Error('database password is hunter2'); },
      });
      await f.node.startWorker('test-service', worker, { incoming: allowAll });
      const channel = await startStampedChannel(f.node, f.admin.identifier, f.authorityIdentity.identifier);
      const route: Route = [...channel.route, local('test-service')];
      const slow = f.node.request(route, encodeRequest({ id: 1, method: 'slow', params: {} }), { timeoutMs: 2000 });
      const fast = decodeResponse((await f.node.request(route, encodeRequest({ id: 2, method: 'fast', params: {} }), { timeoutMs: 2000 })).payload);
      expect(fast).toMatchObject({ ok: true, id: 2 });
      release();
      expect(decodeResponse((await slow).payload)).toMatchObject({ ok: true, id: 1 });
      const broken = decodeResponse((await f.node.request(route, encodeRequest({ id: 3, method: 'broken', params: {} }), { timeoutMs: 2000 })).payload);
      expect(broken).toMatchObject({ ok: false, error: { kind: 'internal', message: 'the authority test service failed to handle the request' } });
      expect(worker.stats).toEqual({ served: 2, failed: 1, malformed: 0, undelivered: 0 });
      await channel.stop();
    } finally {
      await f.cleanup();
    }
  });
});
