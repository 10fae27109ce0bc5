import { describe, expect, it } from 'vitest';
import { verifyCredential } from '../../core/credential/credential.js';
import { SymbolonError } from '../../core/errors.js';
import { nowSeconds } from '../../core/identity/seconds.js';
import { verifyAuditExport } from '../audit-verify.js';
import { verifyRevocationList } from '../revocation-list.js';
import { projectFixture, type ProjectFixture } from '../services/testing/project-fixture.js';
import { decodeEnrollmentTicket } from '../enrollment-ticket.js';
import { TicketRefusedError } from '../ticket-refused-error.js';
import { AuthorityServiceError } from './authority-service-error.js';

async function withProject(fn: (f: ProjectFixture) => Promise<void>, overrides: Parameters<typeof projectFixture>[0] = {}): Promise<void> {
  const f = await projectFixture(overrides);
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}

describe('AuthorityClient with the authority services', () => {
  it('enrolls with a real ticket, receives a credential with the ticket attributes, and a second redemption is refused', () => withProject(async (f) => {
    const admin = await f.clientFor(f.admin);
    const created = await admin.createTicket({ attributes: { component: 'db' }, relays: ['postgres'] });
    expect(created.ticket).toMatch(/^symbolon-ticket-v1:/);
    const bank = await f.newIdentity();
    const enrolled = await (await f.clientFor(bank)).enroll(created.ticket);
    expect(enrolled.member).toMatchObject({ identifier: bank.identifier, role: 'member', attributes: { component: 'db', relay: 'postgres' }, ticketHash: created.hash });
    expect(enrolled.credentialError).toBeUndefined();
    const verified = verifyCredential(enrolled.credential!, {
      subject: bank.identifier, trustedIssuers: new Map([[f.authorityIdentity.identifier, f.authorityIdentity]]), now: nowSeconds(),
    });
    expect(verified).toMatchObject({ issuer: f.authorityIdentity.identifier, attributes: { component: 'db', relay: 'postgres' } });
    expect(enrolled.credential!.expiresAt - enrolled.credential!.createdAt).toBe(60 * 60 * 1000);

    const late = await f.newIdentity();
    const refused = await (await f.clientFor(late)).enroll(created.ticket).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TicketRefusedError);
    expect(refused).toMatchObject({ reason: 'used-up', message: 'enrollment ticket refused: the ticket has already been used' });
    const unknown = await (await f.clientFor(late)).enroll(new Uint8Array(32)).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ reason: 'unknown', kind: 'not-found' });

    const log = await f.store.readAudit({ limit: 1000 });
    expect(log.find((r) => r.type === 'ticket.redeemed')).toMatchObject({ actor: bank.identifier, fields: { ticketHash: created.hash } });
    expect(log.find((r) => r.type === 'credential.issued')).toMatchObject({ fields: { subject: bank.identifier, ticketHash: created.hash, credentialHash: enrolled.credential!.credentialHash } });
    expect(log.filter((r) => r.type === 'ticket.refused').map((r) => r.fields.reason)).toEqual(['used-up', 'unknown']);
    const code = decodeEnrollmentTicket(created.ticket).code;
    const text = JSON.stringify(log);
    expect(text).not.toContain(Buffer.from(code).toString('hex'));
    expect(text).not.toContain(Buffer.from(code).toString('base64url'));
  }));

  it('serves members the live replica routes (this replica first); identities that are not members get nothing', async () => {
    let known = ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4000'];
    await withProject(async (f) => {
      const member = await f.newIdentity();
      const client = await f.clientFor(member);
      await client.enroll((await (await f.clientFor(f.admin)).createTicket()).ticket);
      expect(await client.fetchReplicaRoutes()).toEqual(['/ip4/127.0.0.1/tcp/4000', '/ip4/127.0.0.1/tcp/4001']);
      known = ['/ip4/127.0.0.1/tcp/4002'];
      expect(await client.fetchReplicaRoutes()).toEqual(['/ip4/127.0.0.1/tcp/4000', '/ip4/127.0.0.1/tcp/4002']);
      const stranger = await f.clientFor(await f.newIdentity());
      expect(await stranger.fetchReplicaRoutes().catch((e: unknown) => e)).toMatchObject({ message: expect.stringMatching(/replicas.routes refused: not a member/) });
    }, { projectKnownRoutes: () => known });
  });

  it('refuses an expired ticket with a clear message', async () => {
    let now = Date.now();
    await withProject(async (f) => {
      const created = await (await f.clientFor(f.admin)).createTicket({ expiresInMs: 1000 });
      now += 1500;
      const error = await (await f.clientFor(await f.newIdentity())).enroll(created.ticket).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TicketRefusedError);
      expect((error as Error).message).toBe('enrollment ticket refused: the ticket has expired');
      expect((await f.store.readAudit()).at(-1)).toMatchObject({ type: 'ticket.refused', fields: { reason: 'expired' } });
    }, { clock: () => now });
  });

  it('lets only admins manage members and create enroller tickets; enrollers create member tickets', () => withProject(async (f) => {
    const admin = await f.clientFor(f.admin);
    const memberId = await f.newIdentity();
    const member = await f.clientFor(memberId);
    await member.enroll((await admin.createTicket()).ticket);
    const refusals: Array<[Promise<unknown>, RegExp]> = [
      [member.createTicket(), /ticket.create refused: role member may not do this/],
      [member.addMember(memberId.identifier, { role: 'admin' }), /member.add refused/],
      [member.listMembers(), /member.list refused/],
      [member.removeMember(f.admin.identifier), /member.remove refused/],
      [member.showMember(f.admin.identifier), /member.show refused/],
      [member.auditShow(), /audit.show refused/],
      [member.auditExport(), /audit.export refused/],
    ];
    for (const [call, message] of refusals) {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthorityServiceError);
      expect(error).toMatchObject({ kind: 'unauthorized', origin: 'authority' });
      expect((error as Error).message).toMatch(message);
    }
    expect((await member.showMember(memberId.identifier)).identifier).toBe(memberId.identifier);

    const enrollerId = await f.newIdentity();
    const enroller = await f.clientFor(enrollerId);
    expect((await enroller.enroll((await admin.createTicket({ enroller: true, mayGrant: ['team=ops'] })).ticket)).member)
      .toMatchObject({ role: 'enroller', grants: { attributes: ['team=ops'], relays: [] } });
    await expect(enroller.createTicket({ enroller: true })).rejects.toThrow(/ticket.create-enroller refused: role enroller may not/);
    await expect(enroller.createTicket({ attributes: { team: 'admin' } })).rejects.toThrow(/ticket.create refused: outside the enroller's scope: attribute team=admin/);
    await expect(enroller.createTicket({ relays: ['postgres'] })).rejects.toThrow(/outside the enroller's scope: relay postgres/);
    const byEnroller = await enroller.createTicket({ attributes: { team: 'ops' } });
    await expect(enroller.enroll(byEnroller.ticket)).rejects.toMatchObject({ reason: 'own-ticket' });
    const third = await f.newIdentity();
    expect((await (await f.clientFor(third)).enroll(byEnroller.ticket)).member).toMatchObject({ role: 'member', attributes: { team: 'ops' } });

    const actions = (await f.store.readAudit({ limit: 1000 })).filter((r) => r.type === 'access.refused').map((r) => r.fields.action);
    expect(actions.sort()).toEqual(['audit.export', 'audit.show', 'member.add', 'member.list', 'member.remove', 'member.show', 'ticket.create', 'ticket.create', 'ticket.create', 'ticket.create-enroller']);
  }));

  it('manages members, fetches verifiable credentials, and refuses a removed member', () => withProject(async (f) => {
    const admin = await f.clientFor(f.admin);
    const worker = await f.newIdentity();
    const added = await admin.addMember(worker.identifier, { attributes: { component: 'analysis' } });
    expect(added).toMatchObject({ identifier: worker.identifier, role: 'member', addedBy: f.admin.identifier });
    expect((await admin.listMembers()).map((m) => m.identifier).sort()).toEqual([f.admin.identifier, worker.identifier].sort());
    expect(await admin.showMember(worker.identifier)).toMatchObject({ attributes: { component: 'analysis' } });
    await expect(admin.showMember('Inobody')).rejects.toMatchObject({ kind: 'not-found' });

    const client = await f.clientFor(worker);
    const credential = await client.fetchCredential();
    const trustedIssuers = new Map([[f.authorityIdentity.identifier, f.authorityIdentity]]);
    expect(verifyCredential(credential, { subject: worker.identifier, trustedIssuers, now: nowSeconds() }).attributes).toEqual({ component: 'analysis', role: 'member' });
    expect(() => verifyCredential(credential, { subject: f.admin.identifier, trustedIssuers, now: nowSeconds() })).toThrow(/not I/);

    const removal = await admin.removeMember(worker.identifier);
    expect(removal).toMatchObject({ removed: true, accessEndedAt: expect.any(Number), revokedUntil: credential.expiresAt });
    expect(await admin.removeMember(worker.identifier)).toEqual({ removed: false });
    const list = verifyRevocationList(await admin.fetchRevocationList(), f.authorityIdentity, Date.now());
    expect(list.entries).toEqual([{ identifier: worker.identifier, kind: 'removed', revokedAt: removal.accessEndedAt }]);
    await expect(client.fetchRevocationList()).rejects.toThrow(/revocations.list refused: not a member/);
    const refused = await client.fetchCredential().catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'unauthorized', message: 'credential refused: not a member of this project' });
    const log = await f.store.readAudit({ limit: 1000 });
    expect(log.at(-1)).toMatchObject({ type: 'credential.refused', actor: worker.identifier, fields: { reason: 'not a member' } });
    expect(log.filter((r) => r.type === 'member.removed')).toHaveLength(1);
    expect(log.filter((r) => r.type === 'credential.issued')).toHaveLength(1);
  }));

  it('pages large member lists, shows filtered audit records and exports a log that verifies offline', () => withProject(async (f) => {
    const admin = await f.clientFor(f.admin);
    const big = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`a${i}`, 'x'.repeat(1000)]));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await admin.addMember((await f.newIdentity()).identifier, { attributes: big })).identifier);
    const pagesBefore = f.project.services.stats('members').served;
    const members = await admin.listMembers();
    expect(f.project.services.stats('members').served - pagesBefore).toBeGreaterThan(1);
    expect(members.map((m) => m.identifier)).toEqual([f.admin.identifier, ...ids].sort());
    expect(members.find((m) => m.identifier === ids[0])?.attributes).toEqual(big);

    const aboutOne = await admin.auditShow({ subject: ids[1] });
    expect(aboutOne.map((r) => r.type)).toEqual(['member.added']);
    expect(aboutOne[0]?.fields).toMatchObject({ subject: ids[1] });
    const firstTwo = await admin.auditShow({ limit: 2 });
    expect(firstTwo.map((r) => r.seq)).toEqual([1, 2]);
    expect((await admin.auditShow({ afterSeq: 4 })).map((r) => r.seq)).toEqual([5]);

    const exportBefore = f.project.services.stats('audit').served;
    const lines = await admin.auditExport();
    expect(f.project.services.stats('audit').served - exportBefore).toBeGreaterThan(1);
    expect(lines.length).toBeGreaterThan(6);
    const result = verifyAuditExport(lines, [f.authorityIdentity.currentPublicKey], { authority: f.authorityIdentity.identifier });
    expect(result).toMatchObject({ ok: true, records: (await f.store.auditHead()).seq });
  }));

  it('times out with a clear error when no service answers', () => withProject(async (f) => {
    const client = await f.clientFor(f.admin, { timeoutMs: 100 });
    await f.project.services.stop();
    const error = await client.fetchCredential().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SymbolonError);
    expect(error).toMatchObject({ kind: 'timeout', origin: 'authority', message: "the authority's credentials service did not answer within 100 ms" });
  }));
});

describe('AuthorityClient over a channel that closes', () => {
  it('fails a call in flight at once with an io error when the channel closes, instead of waiting out its timeout', async () => {
    const { Node } = await import('../../core/node/node.js');
    const { local } = await import('../../core/routing/address.js');
    const { AuthorityClient } = await import('./authority-client.js');
    const node = new Node({ name: 'member' });
    // A service that never answers (its project node went away mid-request).
    await node.startWorker('revocations', { handleMessage: () => undefined });
    try {
      const closed = new AbortController();
      const client = new AuthorityClient(node, [local('nowhere-channel')], { timeoutMs: 30_000, channelClosed: closed.signal });
      const started = Date.now();
      const call = client.fetchRevocationList().catch((e: unknown) => e);
      setTimeout(() => closed.abort(), 100);
      const error = await call;
      expect(error).toMatchObject({ origin: 'authority', kind: 'io', message: expect.stringMatching(/channel to the project node closed before the revocations service answered/) });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await node.stop();
    }
  });
});
