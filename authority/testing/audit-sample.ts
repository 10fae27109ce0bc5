// Test helper: an authority whose log holds every record type, with nasty attribute values.
import { authorityFixture, type AuthorityFixture } from './authority-fixture.js';

/** The fixture, the ticket codes it created (secrets that must appear in no export) and all record types written. */
export interface AuditSample extends AuthorityFixture {
  readonly codes: Uint8Array[];
}

/** Builds a log with every record type: tickets, enrollments, credentials, member changes, every kind of refusal and an aggregate. */
export async function auditSample(options: { checkpointEvery?: number } = {}): Promise<AuditSample> {
  const f = await authorityFixture({ checkpointEvery: options.checkpointEvery ?? 1000 });
  const codes: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    const t = await f.authority.createTicket('Iadmin', { attributes: { component: i === 0 ? 'db' : 'analysis', note: 'quote " bracket ] backslash \\ end' } });
    codes.push(t.code);
    await f.authority.redeemTicket(t.code, `Imember${i}`);
    await f.authority.issueCredentialFor(`Imember${i}`);
  }
  await f.authority.redeemTicket(codes[0] as Uint8Array, 'Ilate').catch(() => undefined); // ticket.refused (used-up)
  await f.authority.suspendMember('Iadmin', 'Imember1');
  await f.authority.issueCredentialFor('Imember1').catch(() => undefined); // credential.refused (suspended)
  await f.authority.resumeMember('Iadmin', 'Imember1');
  await f.authority.removeMember('Iadmin', 'Imember2');
  for (let i = 0; i < 3; i++) await f.authority.listMembers('Istranger').catch(() => undefined); // access.refused, then counted
  await f.authority.flushRefusals(true); // refusals.aggregated
  return { ...f, codes };
}
