import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorityClient } from '../../authority/client/authority-client.js';
import { createSecureChannel } from '../../core/channel/create-secure-channel.js';
import { testActor, type TestActor } from '../../core/channel/testing/channel-fixtures.js';
import { local, tcp } from '../../core/routing/address.js';
import { alive, assertBuilt, cleanupHome, recordedPids, runCli, runCliJson, tempHome } from '../support/cli.js';
import { freePort } from '../support/free-port.js';

interface Line { kind: string; seq?: number; type?: string; actor?: string; fields?: Record<string, unknown> }

/** The admin's audit export as parsed lines, after `audit verify` accepted it. */
async function verifiedExport(admin: string, name: string): Promise<Line[]> {
  const file = join(admin, `${name}.jsonl`);
  expect((await runCli(admin, ['audit', 'export', '--output', file])).code).toBe(0);
  const authorityFile = join(admin, 'authority.json');
  writeFileSync(authorityFile, (await runCli(admin, ['project', 'show', 'bank', '--identity', '--json'])).stdout);
  const verified = await runCli(admin, ['audit', 'verify', file, '--authority', authorityFile]);
  expect(verified.code, verified.stderr).toBe(0);
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line);
}

const records = (lines: Line[]): Line[] => lines.filter((l) => l.kind === 'record');

/**
 * Attack: an identity with a secure channel to the project node asks for what it may not
 * have as fast as it can; each refusal was an audit record of about 900 bytes, thousands a
 * second. A non-member (the listener admits everyone, for enrollment) now reaches only the
 * enrollment service: its requests to the other services get no answer and add nothing to
 * the log. A member is still refused by the role checks, and those refusals are
 * rate-limited and aggregated: the log grows by a handful of records, keeps verifying, and
 * says how many refusals there were.
 */
describe('refusals do not flood the audit log', () => {
  const admin = tempHome('sym-flood-admin-');
  const actors: TestActor[] = [];
  let port = 0;

  beforeAll(async () => {
    assertBuilt();
    port = await freePort();
    const created = await runCliJson(admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${port}`]);
    expect(created.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(actors.map((a) => a.node.stop()));
    const pids = recordedPids(admin);
    await cleanupHome(admin);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  it('3,000 refused requests from a member and 300 unanswered ones from 30 non-members add at most a few dozen records; the counts are in aggregated records', async () => {
    const before = records(await verifiedExport(admin, 'before')).length;
    const strangers = await Promise.all(Array.from({ length: 31 }, (_, i) => testActor(`stranger-${i}`, undefined, {}, [])));
    actors.push(...strangers);
    // All strangers dial from 127.0.0.1, one source: open their channels a few at a time,
    // below the listener's pending-handshake bound per source (which would drop the rest).
    const clients: AuthorityClient[] = [];
    for (let i = 0; i < strangers.length; i += 8) {
      clients.push(...await Promise.all(strangers.slice(i, i + 8).map(async (a) => {
        const channel = await createSecureChannel(a.node, [tcp(`127.0.0.1:${port}`), local('api')], a.options());
        return new AuthorityClient(a.node, [local(channel.address)], { timeoutMs: 10_000 });
      })));
    }
    const [mallory, ...fresh] = clients;
    // Mallory is a member (role member): she may fetch credentials, not list members.
    const ticket = (await runCli(admin, ['project', 'ticket', '--attribute', 'component=other'])).stdout.trim();
    await mallory!.enroll(ticket);
    let refused = 0;
    const deadline = Date.now() + 60_000;
    for (let batch = 0; batch < 60 && Date.now() < deadline; batch++) {
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => mallory!.listMembers()));
      refused += outcomes.filter((o) => o.status === 'rejected' && /role member may not do this/.test(String((o.reason as Error).message))).length;
    }
    expect(refused).toBe(3_000);
    const unanswered = await Promise.allSettled(fresh.flatMap((client) => Array.from({ length: 10 }, () => client.fetchCredential({ timeoutMs: 2_000 }))));
    expect(unanswered.filter((o) => o.status === 'rejected' && /did not answer/.test(String((o.reason as Error).message))).length).toBe(300);

    const after = records(await verifiedExport(admin, 'after'));
    const added = after.length - before;
    expect(added, `the log grew by ${added} records for 3,300 refused requests`).toBeLessThanOrEqual(40);
    // Nothing at all from the non-members.
    expect(after.slice(before).filter((r) => strangers.slice(1).some((a) => a.identity.identifier === r.actor || a.identity.identifier === r.fields?.subject))).toEqual([]);

    // Stopping the project node writes what it only counted; the log still verifies.
    expect((await runCli(admin, ['node', 'stop', 'bank'])).code).toBe(0);
    expect((await runCli(admin, ['node', 'start', 'bank'])).code).toBe(0);
    const final = records(await verifiedExport(admin, 'final'));
    const aggregated = final.filter((r) => r.type === 'refusals.aggregated');
    const counted = aggregated.reduce((n, r) => n + Number(r.fields?.count ?? 0), 0);
    const single = final.slice(before).filter((r) => r.type === 'access.refused' || r.type === 'credential.refused').length;
    expect(counted + single).toBe(3_000);
    expect(aggregated.find((r) => r.fields?.refusedType === 'access.refused' && (r.fields?.subject === strangers[0]!.identity.identifier || r.actor === strangers[0]!.identity.identifier))?.fields?.count).toBe(2_999);
  }, 180_000);
});
