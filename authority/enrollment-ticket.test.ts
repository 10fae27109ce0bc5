import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeDeterministic } from '../core/cbor.js';
import { decodeEnrollmentTicket, encodeEnrollmentTicket, ENROLLMENT_TICKET_PREFIX, type EnrollmentTicket } from './enrollment-ticket.js';
import { generateTicketCode } from './ticket-code.js';

const arbTicket = fc.record({
  projectName: fc.string({ minLength: 1, maxLength: 40 }),
  projectRoute: fc.string({ minLength: 1, maxLength: 80 }),
  authorityChangeHistory: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  code: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  expiresAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  projectWsRoute: fc.string({ minLength: 1, maxLength: 80 }),
  projectUdpRoute: fc.string({ minLength: 1, maxLength: 80 }),
}, { requiredKeys: ['projectName', 'projectRoute', 'authorityChangeHistory', 'code', 'expiresAt'] });

const sample: EnrollmentTicket = {
  projectName: 'bank',
  projectRoute: '/ip4/127.0.0.1/tcp/4000',
  authorityChangeHistory: new Uint8Array([1, 2, 3, 4]),
  code: generateTicketCode(),
  expiresAt: 1_700_000_000_000,
};

function withBody(value: unknown): string {
  return ENROLLMENT_TICKET_PREFIX + Buffer.from(encodeDeterministic(value)).toString('base64url');
}

describe('enrollment ticket', () => {
  test.prop([arbTicket])('round trips', (ticket) => {
    const line = encodeEnrollmentTicket(ticket);
    expect(line).toMatch(/^symbolon-ticket-v1:[A-Za-z0-9_-]+$/);
    expect(decodeEnrollmentTicket(`  ${line}\n`)).toEqual(ticket);
  });

  test.prop([arbTicket, fc.nat()])('every truncation is refused', (ticket, cut) => {
    const line = encodeEnrollmentTicket(ticket);
    const at = cut % (line.length - 1);
    expect(() => decodeEnrollmentTicket(line.slice(0, at))).toThrow(/enrollment ticket/);
  });

  it('carries the WebSocket route when the project has one, and refuses an empty one', () => {
    const withWs = { ...sample, projectWsRoute: '/dns/proxy.example/tcp/443/wss/path/bank' };
    expect(decodeEnrollmentTicket(encodeEnrollmentTicket(withWs))).toEqual(withWs);
    expect(decodeEnrollmentTicket(encodeEnrollmentTicket(sample))).not.toHaveProperty('projectWsRoute');
    const body = { version: 1, project: 'bank', route: '/x', wsRoute: '', authority: new Uint8Array([1]), code: sample.code, expiresAt: 1 };
    expect(() => decodeEnrollmentTicket(withBody(body))).toThrow(/WebSocket route/);
  });

  it('carries the UDP route when the project has one, next to the WebSocket route; refuses an empty one and unknown fields', () => {
    const withUdp = { ...sample, projectUdpRoute: '/ip4/203.0.113.7/udp/4000' };
    expect(decodeEnrollmentTicket(encodeEnrollmentTicket(withUdp))).toEqual(withUdp);
    const both = { ...withUdp, projectWsRoute: '/dns/proxy.example/tcp/443/wss/path/bank' };
    expect(decodeEnrollmentTicket(encodeEnrollmentTicket(both))).toEqual(both);
    const body = { version: 1, project: 'bank', route: '/x', udpRoute: '', authority: new Uint8Array([1]), code: sample.code, expiresAt: 1 };
    expect(() => decodeEnrollmentTicket(withBody(body))).toThrow(/UDP route/);
    const extra = { version: 1, project: 'bank', route: '/x', quicRoute: '/x', authority: new Uint8Array([1]), code: sample.code, expiresAt: 1 };
    expect(() => decodeEnrollmentTicket(withBody(extra))).toThrow(/unexpected fields/);
  });

  it('names a wrong prefix, a wrong version and damaged bodies', () => {
    const line = encodeEnrollmentTicket(sample);
    expect(() => decodeEnrollmentTicket('hello')).toThrow(/does not start with/);
    expect(() => decodeEnrollmentTicket('')).toThrow(/empty/);
    expect(() => decodeEnrollmentTicket(line.replace('-v1:', '-v2:'))).toThrow(/version 2 is not supported/);
    expect(() => decodeEnrollmentTicket(`${line}!`)).toThrow(/base64url/);
    const body = { version: 2, project: 'bank', route: '/x', authority: new Uint8Array([1]), code: sample.code, expiresAt: 1 };
    expect(() => decodeEnrollmentTicket(withBody(body))).toThrow(/version 2 is not supported/);
    expect(() => decodeEnrollmentTicket(withBody({ ...body, version: 1, extra: 1 }))).toThrow(/unexpected fields/);
    expect(() => decodeEnrollmentTicket(withBody({ ...body, version: 1, code: new Uint8Array(31) }))).toThrow(/32 bytes/);
    expect(() => decodeEnrollmentTicket(withBody({ ...body, version: 1, expiresAt: 1.5 }))).toThrow(/expiry/);
    expect(() => decodeEnrollmentTicket(withBody([1, 2]))).toThrow(/not a map|version/);
  });

  it('refuses to encode a ticket with a short code', () => {
    expect(() => encodeEnrollmentTicket({ ...sample, code: new Uint8Array(16) })).toThrow(/32 bytes/);
  });
});
