import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, assertBuilt, cleanupHome, recordedPids, runCliJson, tempHome } from '../support/cli.js';
import { freePort } from '../support/free-port.js';

interface AuditRecordView { seq: number; type: string; actor: string; fields: Record<string, unknown> }

async function ok(home: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await runCliJson(home, args);
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${JSON.stringify(r.json)} ${r.stderr}`);
  return r.json as Record<string, unknown>;
}

/**
 * Attack: an identity that holds the enroller role mints itself `component=analysis` and
 * the relay name `postgres` (so it passes Bank's outlet policy and can take over its relay)
 * by creating a ticket with them and redeeming it itself. Real admin and enroller homes,
 * a real project node, every command a separate CLI process.
 */
describe('an enroller cannot grant beyond its scope nor widen itself', () => {
  const admin = tempHome('sym-enr-admin-');
  const mallory = tempHome('sym-enr-mallory-');
  const worker = tempHome('sym-enr-worker-');
  const pids: number[] = [];
  let malloryId = '';

  beforeAll(async () => {
    assertBuilt();
    const port = await freePort();
    await ok(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`]);
  }, 60_000);
  afterAll(async () => {
    pids.push(...recordedPids(admin), ...recordedPids(mallory), ...recordedPids(worker));
    await Promise.all([admin, mallory, worker].map((h) => cleanupHome(h)));
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  it('an enroller ticket without --may-grant lets the enroller grant nothing; it cannot mint component=analysis or a relay name, nor redeem its own ticket', async () => {
    const enrollerTicket = (await ok(admin, ['project', 'ticket', '--enroller'])).ticket as string;
    const enrolled = await ok(mallory, ['project', 'enroll', enrollerTicket]);
    malloryId = enrolled.identifier as string;
    expect(enrolled).toMatchObject({ role: 'enroller', attributes: {} });

    const minted = await runCliJson(mallory, ['project', 'ticket', '--attribute', 'component=analysis', '--relay', 'postgres']);
    expect(minted.code).not.toBe(0);
    expect(minted.json).toMatchObject({ error: { kind: 'unauthorized', message: expect.stringMatching(/ticket.create refused: outside the enroller's scope: attribute component=analysis/) } });
    const relayOnly = await runCliJson(mallory, ['project', 'ticket', '--relay', 'postgres']);
    expect(relayOnly.json).toMatchObject({ error: { message: expect.stringMatching(/outside the enroller's scope: relay postgres/) } });

    // A ticket that grants nothing is inside any scope; even so its creator cannot redeem it.
    const empty = (await ok(mallory, ['project', 'ticket'])).ticket as string;
    const self = await runCliJson(mallory, ['project', 'enroll', empty]);
    expect(self.code).not.toBe(0);
    expect(self.json).toMatchObject({ error: { message: expect.stringMatching(/cannot be redeemed by the identity that created it/) } });

    const me = await ok(admin, ['project', 'member', 'show', malloryId]);
    expect(me.member).toMatchObject({ role: 'enroller', attributes: {} });
  }, 120_000);

  it('a scoped enroller grants exactly its scope to others; the log names who created each ticket and who was refused', async () => {
    const scoped = (await ok(admin, ['project', 'ticket', '--enroller', '--may-grant', 'component=other', '--may-grant-relay', 'reports'])).ticket as string;
    await ok(mallory, ['project', 'enroll', scoped]);
    const shown = await ok(admin, ['project', 'member', 'show', malloryId]);
    expect(shown.member).toMatchObject({ role: 'enroller', grants: { attributes: ['component=other'], relays: ['reports'] } });

    const refused = await runCliJson(mallory, ['project', 'ticket', '--attribute', 'component=analysis']);
    expect(refused.json).toMatchObject({ error: { message: expect.stringMatching(/attribute component=analysis/) } });
    const inScope = (await ok(mallory, ['project', 'ticket', '--attribute', 'component=other', '--relay', 'reports'])).ticket as string;
    const self = await runCliJson(mallory, ['project', 'enroll', inScope]);
    expect(self.json).toMatchObject({ error: { message: expect.stringMatching(/created it/) } });
    const other = await ok(worker, ['project', 'enroll', inScope]);
    expect(other).toMatchObject({ role: 'member', attributes: { component: 'other', relay: 'reports' } });
    expect((await ok(admin, ['project', 'member', 'show', malloryId])).member).toMatchObject({ attributes: {} });

    const log = (await ok(admin, ['audit', 'show', '--limit', '1000'])).records as AuditRecordView[];
    const created = log.filter((r) => r.type === 'ticket.created');
    expect(created.length).toBeGreaterThanOrEqual(4);
    for (const r of created) expect(r.fields.createdBy).toBe(r.actor);
    expect(created.filter((r) => r.actor === malloryId)).toHaveLength(2);
    // Identical refusals within a minute are recorded once (then counted: see the refusal limiter).
    expect(log.filter((r) => r.type === 'ticket.refused' && r.actor === malloryId).map((r) => r.fields.reason)).toEqual(['own-ticket']);
    expect(log.filter((r) => r.type === 'access.refused' && r.actor === malloryId).map((r) => r.fields.reason)).toEqual([
      "outside the enroller's scope: attribute component=analysis", "outside the enroller's scope: relay postgres",
    ]);
    expect(log.find((r) => r.type === 'ticket.redeemed' && r.fields.subject === other.identifier)?.fields.createdBy).toBe(malloryId);
  }, 120_000);
});
