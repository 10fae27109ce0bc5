// Mutual-auth handshakes with the two sides in two processes, as between member nodes: a
// responder process (a node with a TCP listener on 127.0.0.1 and a secure channel listener
// whose handshakes are decided by a CEL policy on the initiator's credential attributes,
// after a revocation check) and an initiator process (a node that opens a channel to it over
// one TCP connection, then closes it, over and over). Both identities hold a credential from
// an authority created in the parent; both log as a node daemon does (pino at info into a
// rotating log file). Measured one at a time and with 100 initiators at once;
// reports handshakes per second and the CPU time each side spent per handshake (all threads,
// from /proc). BENCH_CPU_PROF=DIR writes a V8 CPU profile of each side to DIR/handshake-*;
// run alone, BENCH_HANDSHAKE_SECONDS sets the length of each measurement (default 3).
// Prints one JSON line; exports the measurement.
import { fork, type ChildProcess } from 'node:child_process';
import pino from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSecureChannel } from '../core/channel/create-secure-channel.js';
import { defaultHandshakeSource, SecureChannelListener } from '../core/channel/secure-channel-listener.js';
import type { SecureChannelOptions } from '../core/channel/secure-channel-options.js';
import type { PresentedCredential } from '../core/credential/credential.js';
import { Identity, type IdentityJSON } from '../core/identity/index.js';
import { Node } from '../core/node/node.js';
import { local, tcp } from '../core/routing/address.js';
import type { PeerInfo } from '../core/routing/message.js';
import { TcpTransport } from '../core/transport/tcp-transport.js';
import { decide } from '../policy/decide.js';
import { FilePolicyStore } from '../policy/policy-store-file.js';
import { trustScope } from '../policy/trust-scope.js';
import { RotatingLogFile } from '../node/daemon/rotating-log-file.js';
import { DEFAULT_LOG_LIMITS } from '../node/home/log-limits.js';
import { serveRpc, trackChild } from './support/child-rpc.js';
import { createBenchAuthority, createBenchMember, type BenchMember } from './support/bench-identity.js';
import { cpuSeconds } from './support/cpu-usage.js';

/** One measured row. */
export interface HandshakeProcessesRow {
  /** Handshakes (opened, confirmed, closed) in flight at once. */
  readonly concurrency: number;
  readonly handshakesPerSecond: number;
  readonly handshakes: number;
  /** Handshakes that failed (none expected). */
  readonly failed: number;
  /** CPU microseconds per handshake of each process (all threads). */
  readonly initiatorCpuUs: number;
  readonly responderCpuUs: number;
}

/** Result of {@link benchHandshakeProcesses}. */
export interface HandshakeProcessesBench {
  readonly name: 'handshake_processes';
  readonly sequential: HandshakeProcessesRow;
  readonly concurrent100: HandshakeProcessesRow;
  readonly transport: 'tcp-127.0.0.1';
}

/** The responder's listener policy: the initiator's credential must say role client. */
const LISTENER_POLICY = 'subject.role == "client" && subject.env in ["prod", "staging"]';

/** Upper bound of any one step (start, one measurement, stop): a stalled bench fails instead of hanging. */
const STEP_TIMEOUT_MS = 60_000;

interface Run { readonly handshakes: number; readonly failed: number; readonly seconds: number; readonly firstError?: string }

/** One side's node: identity, credential from the parent's authority, TCP on 127.0.0.1. */
class Side {
  node: Node | null = null;
  transport: TcpTransport | null = null;
  private member: BenchMember | null = null;
  dir: string | null = null;

  async identity(): Promise<IdentityJSON> {
    this.member ??= await createBenchMember();
    return this.member.identity.toJSON();
  }

  options(authority: IdentityJSON, credential: PresentedCredential): SecureChannelOptions {
    const member = this.member!;
    const authorityIdentity = Identity.fromJSON(authority);
    return {
      identity: member.identity, secureChannelKey: member.secureChannelKey, credentials: () => credential,
      trustedAuthorities: new Map([[authorityIdentity.identifier, authorityIdentity]]), transport: this.transport!,
    };
  }

  /** Starts the node, logging as a node daemon does (pino, level info, a rotating log file). */
  async start(name: string, listen: boolean): Promise<string | undefined> {
    this.dir = await mkdtemp(join(tmpdir(), 'symbolon-bench-handshake-'));
    const logger = pino({ level: process.env.SYMBOLON_LOG_LEVEL ?? 'info', base: { pid: process.pid } }, new RotatingLogFile(join(this.dir, 'node.log'), DEFAULT_LOG_LIMITS));
    this.node = new Node({ name, logger });
    this.transport = new TcpTransport(this.node);
    return listen ? (await this.transport.listen('127.0.0.1:0')).address : undefined;
  }

  async stop(): Promise<void> {
    await this.node?.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** The responder process: a node whose listener admits clients by policy. */
function serveResponder(): void {
  const side = new Side();
  serveRpc({
    ready: () => ({ pid: process.pid }),
    identity: () => side.identity(),
    listen: async (args: { authority: IdentityJSON; credential: PresentedCredential }) => {
      const address = await side.start('bench-responder', true);
      const node = side.node!;
      const policies = await FilePolicyStore.open(join(side.dir!, 'policies.json'));
      await policies.create({ kind: 'resource-type', type: 'secure-channel-listener' }, LISTENER_POLICY);
      const authority = Identity.fromJSON(args.authority).identifier;
      const trust = trustScope([{ name: 'bench', authority, own: true }]);
      const resource = { type: 'secure-channel-listener', name: 'api', node: node.name };
      const revoked = new Set<string>();
      await SecureChannelListener.start(node, {
        ...side.options(args.authority, args.credential),
        // As a node's listener: accepted channels keep themselves alive.
        keepAliveMs: 2_000,
        keepAliveTimeoutMs: 6_000,
        // One initiator node (one source address) runs up to 100 handshakes at once here.
        maxPendingHandshakesPerSource: 256,
        handshakeSource: (message) => side.transport!.sourceOf(message) ?? defaultHandshakeSource(message),
        refusePeer: (peer: PeerInfo) => revoked.has(peer.identifier),
        authorize: (peer: PeerInfo) => decide({ subject: peer, resource, action: 'handshake', now: new Date() }, { policies, trust }).allowed,
      });
      return { address };
    },
  }, () => side.stop());
}

/** The initiator process: opens and closes channels to `target` with `lanes` in flight. */
function serveInitiator(): void {
  const side = new Side();
  let options: SecureChannelOptions | undefined;
  serveRpc({
    ready: () => ({ pid: process.pid }),
    identity: () => side.identity(),
    setup: async (args: { authority: IdentityJSON; credential: PresentedCredential }) => {
      await side.start('bench-initiator', false);
      options = { ...side.options(args.authority, args.credential), handshakeTimeoutMs: 10_000 };
      return {};
    },
    run: async (args: { target: string; lanes: number; durationMs: number; maxHandshakes: number }): Promise<Run> => {
      const node = side.node!;
      const route = [tcp(args.target), local('api')];
      let handshakes = 0;
      let failed = 0;
      let firstError: string | undefined;
      const start = performance.now();
      const deadline = start + args.durationMs;
      const loop = async (): Promise<void> => {
        while (performance.now() < deadline && handshakes + failed < args.maxHandshakes) {
          try {
            const channel = await createSecureChannel(node, route, options!);
            await channel.close();
            handshakes++;
          } catch (error) {
            failed++;
            firstError ??= (error as Error).message;
          }
        }
      };
      await Promise.all(Array.from({ length: args.lanes }, loop));
      return { handshakes, failed, seconds: (performance.now() - start) / 1000, ...(firstError ? { firstError } : {}) };
    },
  }, () => side.stop());
}

/** Parent side of one child process. */
class SideProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly role: string, private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const reply = raw as { id: number; ok: boolean; result?: unknown; error?: string };
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) p?.resolve(reply.result);
      else p?.reject(new Error(`${role}: ${reply.error ?? 'failed'}`));
    });
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`${role} process exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static async start(role: 'responder' | 'initiator'): Promise<SideProcess> {
    const dir = process.env.BENCH_CPU_PROF;
    const execArgv = [...process.execArgv, ...(dir ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, `handshake-${role}`)}`] : [])];
    const child = fork(fileURLToPath(import.meta.url), [`--${role}`], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    trackChild(child);
    const side = new SideProcess(role, child);
    await side.call('ready');
    return side;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T = unknown>(op: string, args: unknown = {}, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.role} ${op} took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v as T); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      if (!this.child.connected) this.pending.get(id)!.reject(new Error(`${this.role} process is gone`));
      else this.child.send({ id, op, args });
    });
  }

  /** Asks the child to exit (it does when its IPC channel closes); killed after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Runs handshakes for `durationMs` one at a time, then with 100 in flight (each bounded by
 * `maxHandshakes`), the initiator and the responder in separate processes.
 */
export async function benchHandshakeProcesses(durationMs = 3000, maxHandshakes = 50_000): Promise<HandshakeProcessesBench> {
  const authority = await createBenchAuthority();
  const sides: SideProcess[] = [];
  try {
    const [responder, initiator] = await Promise.all([SideProcess.start('responder'), SideProcess.start('initiator')]);
    sides.push(responder, initiator);
    const issue = async (side: SideProcess, attributes: Record<string, string>): Promise<PresentedCredential> =>
      authority.issue(await side.call<IdentityJSON>('identity'), attributes);
    const { address } = await responder.call<{ address: string }>('listen', { authority: authority.identity, credential: await issue(responder, { role: 'server' }) });
    await initiator.call('setup', { authority: authority.identity, credential: await issue(initiator, { role: 'client', env: 'prod' }) });

    const measure = async (lanes: number): Promise<HandshakeProcessesRow> => {
      const cpu0 = [cpuSeconds(initiator.pid), cpuSeconds(responder.pid)];
      const run = await initiator.call<Run>('run', { target: address, lanes, durationMs, maxHandshakes }, durationMs + STEP_TIMEOUT_MS);
      const cpu1 = [cpuSeconds(initiator.pid), cpuSeconds(responder.pid)];
      if (run.handshakes === 0) throw new Error(`no handshake completed (${run.failed} failed${run.firstError ? `: ${run.firstError}` : ''})`);
      const perHandshake = (i: number): number => Math.round(((cpu1[i]! - cpu0[i]!) * 1e6) / run.handshakes);
      return {
        concurrency: lanes, handshakesPerSecond: Math.round(run.handshakes / run.seconds), handshakes: run.handshakes, failed: run.failed,
        initiatorCpuUs: perHandshake(0), responderCpuUs: perHandshake(1),
      };
    };
    // Warm-up (JIT, caches of verified identities, the TCP connection).
    await initiator.call('run', { target: address, lanes: 4, durationMs: Math.min(1000, durationMs), maxHandshakes: 500 }, STEP_TIMEOUT_MS);
    const sequential = await measure(1);
    const concurrent100 = await measure(100);
    return { name: 'handshake_processes', sequential, concurrent100, transport: 'tcp-127.0.0.1' };
  } finally {
    await Promise.all(sides.map((s) => s.stop()));
  }
}

/** Seconds per measurement from BENCH_HANDSHAKE_SECONDS (1..60), default 3. */
function secondsFromEnv(): number {
  const n = Number(process.env.BENCH_HANDSHAKE_SECONDS ?? '3');
  return Number.isInteger(n) && n >= 1 && n <= 60 ? n : 3;
}

if (process.argv[2] === '--responder') {
  serveResponder();
} else if (process.argv[2] === '--initiator') {
  serveInitiator();
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchHandshakeProcesses(secondsFromEnv() * 1000)));
}
