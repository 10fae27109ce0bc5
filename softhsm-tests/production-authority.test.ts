import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControl } from '../core/api/control-client.js';
import { alive, assertBuilt, recordedPids, runCli } from '../integration/support/cli.js';
import { startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import { freePort, Scenario, waitFor, type Actor } from '../integration/support/scenario.js';
import { createSoftHsmDir, softhsmUnavailableReason, type SoftHsmDir } from './softhsm-fixture.js';

/** OpenSC's PKCS#11 spy: logs every call a module sees (PKCS11SPY = the real module, PKCS11SPY_OUTPUT = the log). */
const SPY_MODULE = ['/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so', '/usr/lib/x86_64-linux-gnu/pkcs11-spy.so', '/usr/lib/aarch64-linux-gnu/pkcs11/pkcs11-spy.so', '/usr/lib/pkcs11/pkcs11-spy.so']
  .find((p) => existsSync(p));
const unavailable = softhsmUnavailableReason() ?? (SPY_MODULE === undefined ? 'OpenSC\'s pkcs11-spy.so is not installed (apt-get install -y opensc)' : undefined);
if (unavailable) {
  if (process.env.SYMBOLON_REQUIRE_SOFTHSM === '1') throw new Error(`SoftHSM and the PKCS#11 spy are required (SYMBOLON_REQUIRE_SOFTHSM=1) but ${unavailable}`);
  console.warn(`\n*** SKIPPING THE PRODUCTION AUTHORITY TEST: ${unavailable} ***\n`);
}

const TOKEN = 'authority-hsm';
const PIN_ENV = 'SYMBOLON_AUTHORITY_HSM_PIN';

/** Every regular file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

/** A TCP echo server (Bank Corp's service behind the outlet). */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  server.on('close', () => { for (const s of sockets) s.destroy(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** A client session through the inlet: `echo(text)` resolves with what came back (or undefined after `ms`). */
interface Session { socket: Socket; echo(text: string, ms?: number): Promise<string | undefined> }
function openSession(port: number): Promise<Session | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    const echo = (text: string, ms = 8_000): Promise<string | undefined> => new Promise((done) => {
      let got = '';
      const timer = setTimeout(() => { socket.off('data', onData); done(undefined); }, ms);
      const onData = (d: Buffer): void => {
        got += d.toString();
        if (got.length >= text.length) { clearTimeout(timer); socket.off('data', onData); done(got); }
      };
      socket.on('data', onData);
      socket.write(text);
    });
    socket.once('connect', () => { echo('ping').then((r) => resolve(r === 'ping' ? { socket, echo } : undefined), () => resolve(undefined)); });
    socket.once('close', () => resolve(undefined));
  });
}
async function echoes(port: number): Promise<boolean> {
  const session = await openSession(port);
  session?.socket.destroy();
  return session !== undefined;
}

/**
 * The recommended production set-up, with real processes: the authority's primary key in an
 * HSM (SoftHSM behind OpenSC's PKCS#11 spy, which logs every call the token sees), the
 * authority state on Postgres, Bank Corp's outlet and relay, Analysis Corp's inlet.
 */
describe.skipIf(unavailable !== undefined)('an authority key in an HSM, its state on Postgres', () => {
  let hsm: SoftHsmDir | undefined;
  let db: TestPostgres | undefined;
  let echo: Awaited<ReturnType<typeof echoServer>> | undefined;
  let s: Scenario | undefined;
  let spyLog = '';
  let pin = '';
  let inletPort = 0;
  let lateTicket = '';
  let lateHome = '';
  const control = (actor: Actor, node: string, method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    callControl({ path: join(s!.homes[actor], 'nodes', node, 'control.sock'), name: node }, method, params, { timeoutMs: 30_000 });
  /** C_Sign calls the token saw, from every process of the admin's home. */
  const hsmSignatures = (): number => (existsSync(spyLog) ? (readFileSync(spyLog, 'utf8').match(/^\d+: C_Sign\r?$/gm) ?? []).length : 0);
  const auditRecords = async (): Promise<Array<{ type: string; actor: string; fields: Record<string, unknown> }>> =>
    (await s!.json<{ records: Array<{ type: string; actor: string; fields: Record<string, unknown> }> }>('admin', ['audit', 'show', '--limit', '1000'])).records;
  const nodeOf = async (actor: Actor): Promise<string> => s!.defaultNode(actor);

  beforeAll(async () => {
    assertBuilt();
    hsm = createSoftHsmDir();
    pin = hsm.initToken(TOKEN);
    spyLog = join(hsm.dir, 'pkcs11-spy.log');
    db = await startTestPostgres();
    echo = await echoServer();
    s = Scenario.create({ prefix: 'sym-prod-', env: { admin: { SOFTHSM2_CONF: hsm.conf, [PIN_ENV]: pin, PKCS11SPY: hsm.module, PKCS11SPY_OUTPUT: spyLog } } });
    const projectPort = await freePort();
    inletPort = await freePort();
    const database = await db.createDatabase('bank_authority');
    await s.ok('admin', ['vault', 'create', 'hsm', '--type', 'pkcs11', '--module', SPY_MODULE!, '--token-label', TOKEN, '--pin-env', PIN_ENV]);
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`, '--vault', 'hsm', '--database', database], { timeoutMs: 90_000 });
    const [bankTicket, analysisTicket, late] = await Promise.all([
      s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']),
      s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis']),
      s.ok('admin', ['project', 'ticket', '--attribute', 'component=late', '--expires-in', '1h']),
    ]);
    lateTicket = s.writeFile('late.ticket', late);
    lateHome = join(s.root, 'late');
    mkdirSync(lateHome, { mode: 0o700 });
    await Promise.all([
      (async () => {
        await s!.ok('bank', ['project', 'enroll', s!.writeFile('bank.ticket', bankTicket)]);
        await s!.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${echo!.port}`, '--allow', 'subject.component == "analysis"']);
        await s!.ok('bank', ['relay', 'create', 'postgres']);
      })(),
      (async () => {
        await s!.ok('analysis', ['project', 'enroll', s!.writeFile('analysis.ticket', analysisTicket)]);
        await s!.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);
      })(),
    ]);
    await waitFor('the portal to echo', async () => ((await echoes(inletPort)) ? true : undefined), { timeoutMs: 30_000 });
  }, 240_000);

  afterAll(async () => {
    if (lateHome !== '') {
      await runCli(lateHome, ['node', 'delete', '--all', '--yes']).catch(() => undefined);
      for (const pid of recordedPids(lateHome)) if (alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    await s?.cleanup();
    await db?.stop();
    if (echo) await new Promise<void>((resolve) => echo!.server.close(() => resolve()));
    hsm?.remove();
  }, 60_000);

  it('the HSM signs once per attestation, never per credential, and no home holds the authority\'s private key', async () => {
    const authority = await s!.json<{ identifier: string; vault: string; publicKey: string; keyHandle: { id: string } }>('admin', ['identity', 'show', 'bank-authority']);
    expect(authority.vault).toBe('hsm');
    // Credentials: the admin's, two enrollments, then each member refreshes three times.
    const [bankNode, analysisNode] = await Promise.all([nodeOf('bank'), nodeOf('analysis')]);
    for (let round = 0; round < 3; round++) {
      await Promise.all([control('bank', bankNode, 'project.refresh', { project: 'bank' }), control('analysis', analysisNode, 'project.refresh', { project: 'bank' })]);
    }
    const records = await auditRecords();
    const issued = records.filter((r) => r.type === 'credential.issued');
    const attested = records.filter((r) => r.type === 'signer.attested');
    expect(issued.length).toBeGreaterThanOrEqual(1 + 2 + 6);
    expect(attested).toHaveLength(1);
    expect(attested[0]!.actor).toBe(authority.identifier);
    expect(new Set(issued.map((r) => r.fields.signerKey))).toEqual(new Set([attested[0]!.fields.signerKey]));
    // The token signed: the identity's first change, the X25519 key's attestation, the
    // signing key's attestation. Nothing per credential.
    expect(hsmSignatures()).toBe(3);

    const { signers } = await s!.json<{ signers: Array<{ keyId: string; replica: string; publicKey: string }> }>('admin', ['project', 'signer', 'list']);
    expect(signers).toMatchObject([{ keyId: attested[0]!.fields.signerKey, replica: 'bank' }]);

    // No private key of the authority in any file of any home: the file vaults hold only purpose keys.
    const authorityKey = authority.publicKey.toLowerCase();
    for (const home of Object.values(s!.homes)) {
      for (const file of filesUnder(home)) {
        if (statSync(file).size > 4 * 1024 * 1024) continue;
        const text = readFileSync(file, 'latin1');
        let key: { kind?: unknown; publicKey?: unknown; id?: unknown } | undefined;
        try { key = JSON.parse(text) as typeof key; } catch { key = undefined; }
        if (key && typeof key.publicKey === 'string' && 'secret' in key) {
          expect(key.publicKey.toLowerCase(), `${file} holds the authority's key`).not.toBe(authorityKey);
          expect(key.id).not.toBe(authority.keyHandle.id);
        }
      }
    }
    // ... and the token holds it as sensitive and never extractable.
    const previous = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = hsm!.conf;
    const lib = new pkcs11js.PKCS11();
    lib.load(hsm!.module);
    lib.C_Initialize();
    try {
      const slot = lib.C_GetSlotList(true).find((x) => lib.C_GetTokenInfo(x).label.trim() === TOKEN)!;
      const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      try {
        lib.C_Login(session, pkcs11js.CKU_USER, pin);
        lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(authority.keyHandle.id, 'hex') }]);
        const found = lib.C_FindObjects(session, 10);
        lib.C_FindObjectsFinal(session);
        expect(found).toHaveLength(1);
        const [sensitive, extractable] = lib.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }]).map((a) => (a.value as Buffer)[0]);
        expect({ sensitive, extractable }).toEqual({ sensitive: 1, extractable: 0 });
      } finally {
        lib.C_CloseSession(session);
      }
    } finally {
      lib.C_Finalize();
      if (previous === undefined) delete process.env.SOFTHSM2_CONF; else process.env.SOFTHSM2_CONF = previous;
    }
  }, 120_000);

  it('Postgres stopped: enrollment and issuance fail closed with a clear error, an open portal session keeps working, all recovers when it returns', async () => {
    const session = await openSession(inletPort);
    expect(session).toBeDefined();
    try {
      await db!.halt();
      const enroll = await runCli(lateHome, ['project', 'enroll', lateTicket], { timeoutMs: 60_000 });
      expect(enroll.code).not.toBe(0);
      expect(enroll.stderr).toMatch(/cannot reach its database/);
      expect(enroll.stderr).not.toMatch(/127\.0\.0\.1:\d+|ECONNREFUSED/);
      const refresh = await s!.run('analysis', ['project', 'refresh']);
      expect(refresh.code).not.toBe(0);
      expect(refresh.stderr).toMatch(/credentials service failed: the authority cannot reach its database/);
      // The open session and a new one still carry bytes: portals need no database.
      expect(await session!.echo('while-postgres-is-down')).toBe('while-postgres-is-down');
      expect(await echoes(inletPort)).toBe(true);
    } finally {
      await db!.restart();
    }
    expect(await session!.echo('after-postgres-returned')).toBe('after-postgres-returned');
    session!.socket.destroy();
    // The same ticket works: the refused enrollment changed nothing.
    const enrolled = await waitFor('enrollment after Postgres returned', async () => {
      const r = await runCli(lateHome, ['project', 'enroll', lateTicket, '--json'], { timeoutMs: 60_000 });
      return r.code === 0 ? JSON.parse(r.stdout) as { project: string } : undefined;
    }, { timeoutMs: 40_000, intervalMs: 1_000 });
    expect(enrolled.project).toBe('bank');
    expect((await s!.json<{ expiresAt: string }>('analysis', ['project', 'refresh'])).expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const redeemed = (await auditRecords()).filter((r) => r.type === 'ticket.redeemed');
    expect(redeemed).toHaveLength(3);
  }, 150_000);

  it('withdrawing the project node\'s signing key: members refuse its credentials, the node attests a new key (one HSM signature), portals work again', async () => {
    const [bankNode, analysisNode] = await Promise.all([nodeOf('bank'), nodeOf('analysis')]);
    const analysis = (await s!.json<{ identifier: string }>('analysis', ['identity', 'show'])).identifier;
    const { signers } = await s!.json<{ signers: Array<{ keyId: string }> }>('admin', ['project', 'signer', 'list']);
    const old = signers[0]!.keyId;
    const signaturesBefore = hsmSignatures();
    await waitFor('the inlet\'s channel at the bank node', async () => {
      const { channels } = await control('bank', bankNode, 'secure-channel.list') as { channels: Array<{ peer: string; attributes: Record<string, string> }> };
      return channels.some((c) => c.peer === analysis && c.attributes.component === 'analysis') ? true : undefined;
    }, { timeoutMs: 20_000 });

    // Analysis Corp's node is frozen: it cannot fetch a new credential, so what the bank
    // node does is what it does with a credential of the withdrawn key.
    const analysisPids = s!.nodePids('analysis');
    for (const pid of analysisPids) process.kill(pid, 'SIGSTOP');
    try {
      const withdrawn = await s!.json<{ signer: { keyId: string; withdrawnAt: string }; membersApplyBy: string }>('admin', ['project', 'signer', 'withdraw', old]);
      expect(withdrawn.signer.keyId).toBe(old);
      const withdrawnAt = Date.parse(withdrawn.signer.withdrawnAt);
      await waitFor('the bank node to refuse the withdrawn key\'s credential', async () => {
        const { lists } = await control('bank', bankNode, 'revocations.show') as { lists: Array<{ withdrawnSigners: string[] }> };
        const { channels } = await control('bank', bankNode, 'secure-channel.list') as { channels: Array<{ peer: string; attributes: Record<string, string> }> };
        const refused = !channels.some((c) => c.peer === analysis && c.attributes.component === 'analysis');
        return lists.some((l) => l.withdrawnSigners.includes(old)) && refused ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      // Within the revocation interval (3 s polls, 10 s promised), with room for a loaded machine.
      expect(Date.now() - withdrawnAt).toBeLessThan(20_000);
    } finally {
      for (const pid of analysisPids) process.kill(pid, 'SIGCONT');
    }

    // Once running again, the analysis node learns it too, fetches a credential signed by the
    // project node's new key, and the portal works without any operator action.
    await waitFor('the portal to echo again', async () => ((await echoes(inletPort)) ? true : undefined), { timeoutMs: 45_000, intervalMs: 500 });
    const after = await s!.json<{ signers: Array<{ keyId: string; replica: string; withdrawnAt?: string }> }>('admin', ['project', 'signer', 'list']);
    const current = after.signers.filter((x) => x.withdrawnAt === undefined);
    expect(current).toHaveLength(1);
    expect(current[0]!.replica).toBe('bank');
    expect(after.signers.find((x) => x.keyId === old)?.withdrawnAt).toBeDefined();
    expect(hsmSignatures()).toBe(signaturesBefore + 1);
    const records = await auditRecords();
    expect(records.filter((r) => r.type === 'signer.withdrawn')).toMatchObject([{ fields: { signerKey: old, replica: 'bank' } }]);
    const analysisIssued = records.filter((r) => r.type === 'credential.issued' && r.fields.subject === analysis);
    expect(analysisIssued.at(-1)?.fields.signerKey).toBe(current[0]!.keyId);
    const { lists } = await control('analysis', analysisNode, 'revocations.show') as { lists: Array<{ withdrawnSigners: string[] }> };
    expect(lists.some((l) => l.withdrawnSigners.includes(old))).toBe(true);
  }, 150_000);
});
