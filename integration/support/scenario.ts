import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, cleanupHome, recordedPids, runCli, type CliResult } from './cli.js';
import { freePort } from './free-port.js';

export { freePort };

/** The three actors of the Bank Corp / Analysis Corp scenario, in setup order, one home each. */
export const ACTORS = ['admin', 'bank', 'analysis'] as const;

/** An actor of the scenario. */
export type ScenarioActor = (typeof ACTORS)[number];

/** Whose home a command runs in: a scenario actor, or 'marketing' (a second member of Analysis Corp, from a home of its own). */
export type Actor = ScenarioActor | 'marketing';

/** Every home a scenario makes; the 'marketing' one stays empty unless a test uses it. */
const HOMES: readonly Actor[] = [...ACTORS, 'marketing'];

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, { timeoutMs = 20_000, intervalMs = 250 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resident set size of process `pid` in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Options of {@link Scenario.create}. */
export interface ScenarioOptions {
  /** Extra environment per actor, for every command that actor runs (e.g. an HSM PIN variable). */
  readonly env?: Partial<Record<Actor, Record<string, string>>>;
  readonly prefix?: string;
}

/**
 * Three temporary homes (admin, bank, analysis) and the real CLI binary run once per
 * command, as a separate process with that actor's SYMBOLON_HOME. `cleanup()` deletes every
 * node of every home, kills any recorded pid still alive and removes the homes.
 */
export class Scenario {
  /** Parent folder of the homes and the ticket files. */
  readonly root: string;
  /** The home of each actor. */
  readonly homes: Readonly<Record<Actor, string>>;
  private readonly env: Partial<Record<Actor, Record<string, string>>>;
  private readonly seenPids = new Set<number>();

  private constructor(root: string, env: Partial<Record<Actor, Record<string, string>>>) {
    this.root = root;
    this.env = env;
    const homes = {} as Record<Actor, string>;
    for (const a of HOMES) {
      homes[a] = join(root, a);
      mkdirSync(homes[a], { mode: 0o700 });
    }
    this.homes = homes;
  }

  /** Makes the temporary homes. */
  static create(options: ScenarioOptions = {}): Scenario {
    return new Scenario(mkdtempSync(join(tmpdir(), options.prefix ?? 'sym-scenario-')), options.env ?? {});
  }

  /** Runs `symbolon ...args` as `actor`; never throws on a non-zero exit. */
  async run(actor: Actor, args: readonly string[], { timeoutMs = 60_000 } = {}): Promise<CliResult> {
    const result = await runCli(this.homes[actor], args, { timeoutMs, env: this.env[actor] ?? {} });
    this.notePids();
    return result;
  }

  /** Runs `symbolon ...args` as `actor` and returns stdout; throws with the command and stderr on a non-zero exit. */
  async ok(actor: Actor, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(actor, args, options);
    if (r.code !== 0) throw new Error(`[${actor}] symbolon ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  }

  /** Runs `symbolon ...args --json` as `actor` and parses stdout; throws on a non-zero exit or non-JSON output. */
  async json<T = unknown>(actor: Actor, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<T> {
    const out = await this.ok(actor, [...args, '--json'], options);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`[${actor}] symbolon ${args.join(' ')} --json printed no JSON: ${out.slice(0, 500)}`);
    }
  }

  /** The pids of the running nodes of `actor`'s home, as recorded there. */
  nodePids(actor: Actor): number[] {
    return recordedPids(this.homes[actor]).filter((pid) => alive(pid));
  }

  /** The home's default node name (`status --json`). */
  async defaultNode(actor: Actor): Promise<string> {
    const status = await this.json<{ defaultNode?: string }>(actor, ['status']);
    if (typeof status.defaultNode !== 'string') throw new Error(`[${actor}] home has no default node: ${JSON.stringify(status)}`);
    return status.defaultNode;
  }

  /** Writes `text` to a file in the scenario folder (mode 0600) and returns its path. */
  writeFile(name: string, text: string): string {
    const path = join(this.root, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  /** Stops and deletes every node of every home, kills what is left, removes the folder. */
  async cleanup(): Promise<void> {
    this.notePids();
    // A home no command ever used (still empty) has nothing to stop.
    await Promise.all(HOMES.filter((a) => readdirSync(this.homes[a]).length > 0).map((a) => cleanupHome(this.homes[a], [...this.seenPids])));
    for (const pid of this.seenPids) {
      if (alive(pid)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private notePids(): void {
    for (const a of HOMES) for (const pid of recordedPids(this.homes[a])) this.seenPids.add(pid);
  }
}

/** What {@link setUpScenario} built. */
export interface ScenarioSetup {
  readonly projectPort: number;
  readonly inletPort: number;
  /** Default node names of the three homes (the admin's runs the admin identity). */
  readonly nodes: Readonly<Record<ScenarioActor, string>>;
  /** The project node (authority and relay service) in the admin's home: named after the project. */
  readonly projectNode: string;
  /** Milliseconds each step took, by step name. */
  readonly timings: Readonly<Record<string, number>>;
}

/** Options of {@link setUpScenario}: the design section 1 commands, with the given values. */
export interface ScenarioSetupOptions {
  /** The outlet's target, HOST:PORT (Bank Corp's server). */
  readonly target: string;
  readonly outletAllow?: string;
  readonly inletAllow?: string;
  readonly relay?: string;
  /** Enroll the bank with this identity (`project enroll --identity`). */
  readonly bankIdentity?: string;
  /** The authority's state in this Postgres database (`project create --database`); default SQLite. */
  readonly projectDatabase?: string;
}

/**
 * Runs the design section 1 scenario exactly: project create and two tickets (admin), enroll,
 * tcp-outlet and relay (bank), enroll and tcp-inlet --via (analysis).
 */
export async function setUpScenario(s: Scenario, o: ScenarioSetupOptions): Promise<ScenarioSetup> {
  const relay = o.relay ?? 'postgres';
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try { return await fn(); } finally { timings[name] = Date.now() - t0; }
  };
  const projectPort = await freePort();
  const inletPort = await freePort();
  await step('project create', () => s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`, ...(o.projectDatabase ? ['--database', o.projectDatabase] : [])]));
  const bankTicket = (await step('ticket (bank)', () => s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', relay]))).trim();
  const analysisTicket = (await step('ticket (analysis)', () => s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis']))).trim();
  const bankFile = s.writeFile('bank.ticket', `${bankTicket}\n`);
  const analysisFile = s.writeFile('analysis.ticket', `${analysisTicket}\n`);
  await step('enroll (bank)', () => s.ok('bank', ['project', 'enroll', bankFile, ...(o.bankIdentity ? ['--identity', o.bankIdentity] : [])]));
  await step('tcp-outlet create', () => s.ok('bank', ['tcp-outlet', 'create', '--to', o.target, '--allow', o.outletAllow ?? 'subject.component == "analysis"']));
  await step('relay create', () => s.ok('bank', ['relay', 'create', relay]));
  await step('enroll (analysis)', () => s.ok('analysis', ['project', 'enroll', analysisFile]));
  await step('tcp-inlet create', () => s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', relay, '--allow', o.inletAllow ?? 'subject.component == "db"']));
  const [admin, bank, analysis] = await Promise.all(ACTORS.map((a) => s.defaultNode(a)));
  return { projectPort, inletPort, nodes: { admin: admin!, bank: bank!, analysis: analysis! }, projectNode: 'bank', timings };
}

/** A TCP proxy that counts the connections it accepted and the client bytes it forwarded. */
export interface CountingProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes received from clients so far. */
  readonly bytesFromClients: number;
  close(): Promise<void>;
}

/** Starts a {@link CountingProxy} on 127.0.0.1 in front of `targetPort` on 127.0.0.1. */
export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  let connections = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => { sockets.add(s); s.once('close', () => sockets.delete(s)); };
  const server: Server = createServer((client) => {
    connections += 1;
    track(client);
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    client.on('data', (d: Buffer) => { bytes += d.length; });
    client.pipe(upstream);
    upstream.pipe(client);
    const kill = (): void => { client.destroy(); upstream.destroy(); };
    client.once('error', kill);
    upstream.once('error', kill);
    client.once('close', kill);
    upstream.once('close', kill);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    get connections() { return connections; },
    get bytesFromClients() { return bytes; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * Connects to 127.0.0.1:`port`, writes `data`, and resolves with what came back once the
 * connection closed; rejects when it did not close within `timeoutMs`.
 */
export function probeClosed(port: number, data: Buffer, timeoutMs = 25_000): Promise<{ received: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let received = 0;
    const socket = createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connection to ${port} still open after ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (d: Buffer) => { received += d.length; });
    socket.on('error', () => undefined);
    socket.once('close', () => { clearTimeout(timer); resolve({ received, ms: Date.now() - t0 }); });
  });
}
