/**
 * `npm run demo`: the Bank Corp / Analysis Corp scenario end to end, on embedded defaults.
 *
 * An embedded Postgres (PGlite, served on 127.0.0.1) stands for Bank Corp's database. Three
 * temporary homes stand for the three actors: the admin creates a project and two
 * enrollment tickets; Bank Corp enrolls, creates a TCP outlet to its database and a relay;
 * Analysis Corp enrolls and creates a TCP inlet through that relay. An unmodified Postgres
 * client (`pg`) then queries the database through the portal. Every command runs the real
 * `symbolon` binary as a separate process. Everything started is stopped and removed at the
 * end, on failure and on Ctrl-C.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'symbolon-demo-'));
const homes = { admin: join(root, 'admin'), bank: join(root, 'bank'), analysis: join(root, 'analysis') } as const;
type Actor = keyof typeof homes;

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs `symbolon ...args` as `actor`, echoing the command; rejects on a non-zero exit. */
function symbolon(actor: Actor, args: string[], { quiet = false } = {}): Promise<string> {
  if (!quiet) process.stdout.write(`\n[${actor}] $ symbolon ${args.map((a) => (/[\s"'=]/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], {
      env: { ...process.env, SYMBOLON_HOME: homes[actor] }, maxBuffer: 8 * 1024 * 1024, timeout: 60_000,
    }, (err, stdout, stderr) => {
      if (!quiet) process.stdout.write(indent(stdout));
      if (err) reject(new Error(`[${actor}] symbolon ${args.slice(0, 2).join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

function indent(text: string): string {
  return text.trim() ? text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n') + '\n' : '';
}

let db: PGlite | undefined;
let dbServer: PGLiteSocketServer | undefined;
let cleaning: Promise<void> | undefined;
/** Deletes every node of every demo home, stops the database and removes the homes (once). */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all((Object.keys(homes) as Actor[]).map((a) => symbolon(a, ['node', 'delete', '--all', '--yes'], { quiet: true }).catch(() => undefined)));
    await dbServer?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write('\nInterrupted: stopping everything the demo started...\n');
    void cleanup().then(() => process.exit(130));
  });
}

try {
  console.log('Symbolon demo: Analysis Corp queries Bank Corp\'s Postgres through an end-to-end encrypted portal.');
  const [dbPort, projectPort, inletPort] = [await freePort(), await freePort(), await freePort()];

  console.log(`\n1. Bank Corp's database: an embedded Postgres (PGlite) on 127.0.0.1:${dbPort}, reachable only on loopback.`);
  db = await PGlite.create();
  await db.exec(`CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric);
    INSERT INTO accounts VALUES (1, 'alice', 1200.50), (2, 'bob', 310.00), (3, 'carol', 98000.00);`);
  dbServer = new PGLiteSocketServer({ db, host: '127.0.0.1', port: dbPort });
  await dbServer.start();

  console.log('\n2. The admin creates a project (authority + relay) and two one-time enrollment tickets.');
  await symbolon('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`]);
  const bankTicket = (await symbolon('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres'], { quiet: true })).trim();
  console.log(`\n[admin] $ symbolon project ticket --attribute component=db --relay postgres > bank.ticket`);
  const analysisTicket = (await symbolon('admin', ['project', 'ticket', '--attribute', 'component=analysis'], { quiet: true })).trim();
  console.log(`[admin] $ symbolon project ticket --attribute component=analysis > analysis.ticket`);
  writeFileSync(join(root, 'bank.ticket'), `${bankTicket}\n`, { mode: 0o600 });
  writeFileSync(join(root, 'analysis.ticket'), `${analysisTicket}\n`, { mode: 0o600 });

  console.log('\n3. Bank Corp enrolls, opens an outlet to its database for analysis members only, and registers a relay.');
  await symbolon('bank', ['project', 'enroll', join(root, 'bank.ticket')]);
  await symbolon('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${dbPort}`, '--allow', 'subject.component == "analysis"']);
  await symbolon('bank', ['relay', 'create', 'postgres']);

  console.log('\n4. Analysis Corp enrolls and opens an inlet that reaches the outlet through the relay, for db members only.');
  await symbolon('analysis', ['project', 'enroll', join(root, 'analysis.ticket')]);
  await symbolon('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);

  console.log(`\n5. An unmodified Postgres client connects to 127.0.0.1:${inletPort} (the inlet) and runs a query:`);
  const client = new pg.Client({ host: '127.0.0.1', port: inletPort, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 20_000 });
  await client.connect();
  const result = await client.query('SELECT id, owner, balance FROM accounts ORDER BY id');
  await client.end();
  console.log('    SELECT id, owner, balance FROM accounts ORDER BY id;');
  for (const row of result.rows) console.log(`    ${row.id} | ${row.owner} | ${row.balance}`);
  if (result.rows.length !== 3) throw new Error(`expected 3 rows through the portal, got ${result.rows.length}`);

  console.log('\n6. The secure channels involved:');
  console.log('   - Bank Corp node -> project node (the relay runs over the bank\'s own outgoing connection)');
  console.log('   - Analysis Corp node -> project node');
  console.log('   - Analysis Corp node -> Bank Corp node, end to end THROUGH the relay, inside the two above:');
  console.log('     the project node forwards its ciphertext and can neither read nor forge it.');
  await symbolon('bank', ['secure-channel', 'list']);
  await symbolon('analysis', ['secure-channel', 'list']);

  await cleanup();
  console.log('\nDemo finished: all nodes stopped, the database closed and the temporary homes removed.');
} catch (err) {
  console.error(`\nDemo failed: ${err instanceof Error ? err.message : String(err)}`);
  await cleanup();
  process.exitCode = 1;
}
