// Handshakes and credentials per second with one and with three project node replicas: real
// project node processes (started as `project create --database` and `project replica add`
// start them) on one throw-away Postgres on this machine, members enrolled through real
// tickets, each member a node in this process opening full mutual-auth secure channels
// (identities, attested X25519 keys, credentials from the project's authority verified by
// the replica, the listener's admission policy) to the replicas round-robin. Prints one
// JSON line; exports the measurement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer } from 'node:net';
import { createSecureChannel } from '../core/channel/create-secure-channel.js';
import type { SecureChannel } from '../core/channel/secure-channel.js';
import { testActor, type TestActor } from '../core/channel/testing/channel-fixtures.js';
import { Identity } from '../core/identity/identity.js';
import { local, tcp } from '../core/routing/address.js';
import { AuthorityClient } from '../authority/client/authority-client.js';
import { Home } from '../node/home/home.js';
import { createIdentityRecord } from '../node/home/identity-registry.js';
import { NodeConfigFile } from '../node/home/node-config.js';
import { recordProject } from '../node/home/node-projects.js';
import { setConfiguredNodeIdentity } from '../node/home/node-security-config.js';
import { AUTHORITY_SECTION, PROJECT_LISTENER_ADDRESS, routeForListener } from '../node/home/project-node.js';
import { createNode, startNode, stopNode } from '../node/client/node-lifecycle.js';
import { addReplica } from '../node/client/project-replicas.js';
import { setAcceptUnauthenticated } from '../node/daemon/services/secure-channels.js';
import { findPostgresBin, startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import { UnsupportedError } from '../core/errors.js';
import { within } from './support/step-deadline.js';

/** Bound of a step other than a measurement. */
const STEP_MS = 60_000;

/** One figure with 1 and 3 replicas. */
export interface ReplicaFigure {
  readonly oneReplica: number;
  readonly threeReplicas: number;
  /** threeReplicas / oneReplica. */
  readonly ratio: number;
}

/** Result of {@link benchReplicaHandshakes}. */
export interface ReplicaHandshakesBench {
  /** Complete handshakes (open, confirmed, closed) per second against the replicas' listeners. */
  readonly handshakes: ReplicaFigure;
  /** Credentials issued per second by replica processes (members' `credentials.issue` over kept channels). */
  readonly credentials: ReplicaFigure;
  /** Member initiators (nodes in the bench process), spread round-robin over the replicas. */
  readonly members: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `lane(i)` for every member until `durationMs` passed; the count per second. */
async function rate(members: number, durationMs: number, lane: (i: number) => Promise<void>): Promise<number> {
  let done = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(Array.from({ length: members }, async (_, i) => {
    while (performance.now() < deadline) {
      await lane(i);
      done++;
    }
  }));
  return Math.round(done / ((performance.now() - start) / 1000));
}

const figure = (one: number, three: number): ReplicaFigure => ({ oneReplica: one, threeReplicas: three, ratio: one > 0 ? Number((three / one).toFixed(2)) : 0 });

/**
 * Starts a Postgres, a project node and two replicas (processes), enrolls `members` member
 * nodes (in this process) through a ticket, and measures for `durationMs` each: handshakes
 * per second with the members on the first replica only, then spread over all three; the
 * same for credentials issued. Throws UnsupportedError when Postgres is not installed.
 */
export async function benchReplicaHandshakes(durationMs = 3000, members = 12): Promise<ReplicaHandshakesBench> {
  try {
    findPostgresBin();
  } catch (error) {
    throw new UnsupportedError('authority', `skipped: ${(error as Error).message}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'sym-bench-replicas-'));
  const home = new Home(join(dir, 'home'));
  const nodes: string[] = [];
  const actors: TestActor[] = [];
  let server: TestPostgres | undefined;
  try {
    server = await within('start Postgres', STEP_MS, startTestPostgres());
    const database = await server.createDatabase('bench');
    const admin = await testActor('bench-admin', undefined, {}, []);
    actors.push(admin);
    const authority = await createIdentityRecord(home, 'bench-authority');
    const authorityIdentity = Identity.fromJSON(authority.identity);
    const trusted = new Map([[authorityIdentity.identifier, authorityIdentity]]);
    const listen = `127.0.0.1:${await freePort()}`;
    const route = routeForListener(listen);
    createNode(home, 'bench', { tcpListenerAddress: listen });
    nodes.push('bench');
    setConfiguredNodeIdentity(home, 'bench', 'bench-authority');
    setAcceptUnauthenticated(home, 'bench', true);
    new NodeConfigFile(home, 'bench').setSection(AUTHORITY_SECTION, { project: 'bench', route, admin: admin.identity.identifier, database });
    recordProject(home, {
      version: 1, name: 'bench', route, authority: authority.identity, authorityIdentifier: authorityIdentity.identifier, createdAt: new Date().toISOString(),
    });
    await within('start the project node', STEP_MS, startNode(home, 'bench'));
    const addresses = [listen];
    for (const name of ['bench-r2', 'bench-r3']) {
      const at = `127.0.0.1:${await freePort()}`;
      nodes.push(name);
      await within(`start replica ${name}`, STEP_MS, addReplica(home, { project: 'bench', database, listen: at, name }));
      addresses.push(at);
    }
    const listenerRoute = (i: number) => [tcp(addresses[i]!), local(PROJECT_LISTENER_ADDRESS)];
    const open = (actor: TestActor, replica: number): Promise<SecureChannel> => createSecureChannel(actor.node, listenerRoute(replica), actor.options({
      trustedAuthorities: trusted, handshakeTimeoutMs: 20_000, authorize: (peer) => peer.identifier === authorityIdentity.identifier,
    }));
    const client = (actor: TestActor, channel: SecureChannel) => new AuthorityClient(actor.node, [local(channel.address)], { authority: authorityIdentity.identifier, timeoutMs: 20_000 });

    const adminChannel = await within('the admin channel', STEP_MS, open(admin, 0));
    const { ticket } = await within('a ticket', STEP_MS, client(admin, adminChannel).createTicket({ usageCount: members, attributes: { component: 'bench' } }));
    await adminChannel.close();
    // Members enroll through the replicas in turn.
    await within('enroll the members', STEP_MS, (async () => {
      for (let i = 0; i < members; i++) {
        const actor = await testActor(`bench-member-${i}`, undefined, {}, []);
        actors.push(actor);
        const channel = await open(actor, i % 3);
        const enrolled = await client(actor, channel).enroll(ticket);
        actor.credential = { credential: enrolled.credential!.credential, attestation: enrolled.credential!.attestation };
        await channel.close();
      }
    })());
    const spread = async (replicas: number): Promise<{ handshakes: number; credentials: number }> => {
      const handshakes = await within(`handshakes, ${replicas} replicas`, durationMs + STEP_MS, rate(members, durationMs, async (i) => {
        await (await open(actors[i + 1]!, i % replicas)).close();
      }));
      const channels = await Promise.all(actors.slice(1).map((actor, i) => open(actor, i % replicas)));
      const clients = channels.map((channel, i) => client(actors[i + 1]!, channel));
      const credentials = await within(`credentials, ${replicas} replicas`, durationMs + STEP_MS, rate(members, durationMs, async (i) => {
        await clients[i]!.fetchCredential();
      }));
      await Promise.all(channels.map((c) => c.close()));
      return { handshakes, credentials };
    };
    const one = await spread(1);
    const three = await spread(3);
    return { handshakes: figure(one.handshakes, three.handshakes), credentials: figure(one.credentials, three.credentials), members };
  } finally {
    for (const actor of actors) await actor.node.stop().catch(() => undefined);
    for (const name of nodes.reverse()) await stopNode(home, name).catch(() => undefined);
    await server?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchReplicaHandshakes())}\n`);
}
