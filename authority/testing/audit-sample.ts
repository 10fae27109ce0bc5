// Test helper: an authority whose log holds every record type, with nasty attribute values.
import { SoftwareSigningKey } from '../../core/vault/software-signing-key.js';
import type { AuthorityOptions } from '../authority.js';
import { authorityFixture, type AuthorityFixture } from './authority-fixture.js';

/** The fixture, the ticket codes it created (secrets that must appear in no export) and all record types written. */
export interface AuditSample extends AuthorityFixture {
  readonly codes: Uint8Array[];
}

/** Builds a log with every record type: tickets, enrollments, credentials, member changes, every kind of refusal and an aggregate. */
export async function auditSample(options: { checkpointEvery?: number; overrides?: Partial<AuthorityOptions>; unusual?: boolean } = {}): Promise<AuditSample> {
  const f = await authorityFixture({ checkpointEvery: options.checkpointEvery ?? 1000, ...options.overrides });
  const codes: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    const t = await f.authority.createTicket('Iadmin', { attributes: { component: i === 0 ? 'db' : 'analysis', note: 'quote " bracket ] backslash \\ end' } });
    codes.push(t.code);
    await f.authority.redeemTicket(t.code, `Imember${i}`);
    const issued = await f.authority.issueCredentialFor(`Imember${i}`);
    if (i === 2) await f.authority.recordUndelivered(`Imember${i}`, issued.credentialHash, 'the caller\'s channel closed before the answer could be sent');
  }
  await f.authority.redeemTicket(codes[0] as Uint8Array, 'Ilate').catch(() => undefined); // ticket.refused (used-up)
  await f.authority.suspendMember('Iadmin', 'Imember1');
  await f.authority.issueCredentialFor('Imember1').catch(() => undefined); // credential.refused (suspended)
  await f.authority.resumeMember('Iadmin', 'Imember1');
  await f.authority.removeMember('Iadmin', 'Imember2');
  for (let i = 0; i < 3; i++) await f.authority.listMembers('Istranger').catch(() => undefined); // access.refused, then counted
  await f.authority.flushRefusals(true); // refusals.aggregated
  // signer.attested, signer.withdrawn (the attestation's bytes do not matter to the log).
  const signer = await f.authority.registerSigner({ replica: 'bank-1', publicKey: SoftwareSigningKey.generate('ed25519').publicKey, attestation: new Uint8Array([1, 2, 3]), expiresAt: Date.now() + 86_400_000 });
  await f.authority.withdrawSigner('Iadmin', signer.keyId);
  if (options.unusual === true) {
    // One ticket redeemed by three identities, a burst of 25 refusals by distinct callers, a ticket that expires unused.
    const shared = await f.authority.createTicket('Iadmin', { usageCount: 3, attributes: { component: 'shared' } });
    codes.push(shared.code);
    for (let i = 0; i < 3; i++) await f.authority.redeemTicket(shared.code, `Ishared${i}`);
    for (let i = 0; i < 25; i++) await f.authority.listMembers(`Iprober${i}`).catch(() => undefined);
    codes.push((await f.authority.createTicket('Iadmin', { expiresInMs: 1000 })).code);
  }
  return { ...f, codes };
}
