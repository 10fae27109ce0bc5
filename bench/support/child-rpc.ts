/**
 * Request/response over a forked child's IPC channel, for the benchmark's separate
 * processes. The parent side ({@link BenchChild}) starts `bench-node` with a role and
 * calls operations by name; the child side ({@link serveRpc}) answers them and exits as
 * soon as the parent goes away, so no benchmark process outlives the run.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AbortedError, IoError, TimeoutError } from '../../core/errors.js';
import { gcArgs } from '../../node/client/daemon-command.js';
import type { GcMode } from '../../node/home/node-config.js';

interface Request { readonly id: number; readonly op: string; readonly args: unknown }
interface Reply { readonly id: number; readonly ok: boolean; readonly result?: unknown; readonly error?: string }

/** Operations a child answers: each takes JSON-able arguments and returns a JSON-able result. */
export type RpcHandlers = Readonly<Record<string, (args: never) => unknown>>;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every benchmark child still running (also run on the parent's exit). */
export function killAllChildren(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAllChildren);
}

/**
 * Puts a process the benchmark spawned itself (sshd, ssh, stunnel) under
 * {@link killAllChildren}, like the `bench-node` children: it is killed with the run.
 */
export function trackChild(child: ChildProcess): void {
  installExitHook();
  if (child.exitCode !== null || child.signalCode !== null) return;
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * With BENCH_CPU_PROF=DIR, every child writes a V8 CPU profile (open it in Chrome
 * DevTools) to DIR/ROLE/ when it exits.
 */
function profileArgs(role: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, role)}`] : [];
}

/**
 * Node processes run with the GC options a node daemon gets (`auto` by default;
 * BENCH_NODE_GC=single-threaded|parallel|auto overrides it, for A/B studies).
 */
function nodeArgs(role: string): string[] {
  if (role !== 'node') return [];
  const mode = process.env.BENCH_NODE_GC;
  return gcArgs(mode === 'single-threaded' || mode === 'parallel' ? (mode as GcMode) : 'auto');
}

/** A benchmark child process: one role (`sink`, `client`, `inlet`, ...) in its own Node.js process. */
export class BenchChild {
  readonly role: string;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;
  private nextId = 1;

  private constructor(role: string, child: ChildProcess) {
    this.role = role;
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (raw) => this.onReply(raw as Reply));
    child.once('exit', (code, signal) => {
      live.delete(child);
      const error = new IoError('node', `bench ${role} process exited (${signal ?? code})`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    });
  }

  /** Forks `bench-node` (next to this file, .js or .ts under tsx) in `role`; resolves once it is ready. */
  static async start(role: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<BenchChild> {
    installExitHook();
    const self = fileURLToPath(import.meta.url);
    const entry = fileURLToPath(new URL(`./bench-node${extname(self)}`, import.meta.url));
    const execArgv = ['--expose-gc', ...nodeArgs(role), ...(extname(self) === '.ts' ? ['--import', 'tsx'] : []), ...profileArgs(role)];
    const child = fork(entry, [role], { execArgv, stdio: ['ignore', 2, 2, 'ipc'], serialization: 'advanced' });
    live.add(child);
    const handle = new BenchChild(role, child);
    await handle.call('ready', {}, options);
    return handle;
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Calls `op` in the child; rejects with the child's one-line error, on timeout or abort. */
  call<T = unknown>(op: string, args: unknown = {}, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    if (options.signal?.aborted) return Promise.reject(new AbortedError('node', `bench ${this.role} ${op} aborted`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const onAbort = (): void => { done(); reject(new AbortedError('node', `bench ${this.role} ${op} aborted`)); };
      const timer = setTimeout(() => { done(); reject(new TimeoutError('node', `bench ${this.role} ${op} took over ${timeoutMs} ms`)); }, timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => { done(); resolve(v as T); },
        reject: (e) => { done(); reject(e); },
      });
      this.child.send({ id, op, args } satisfies Request);
    });
  }

  /** Asks the child to exit, and kills it if it has not within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private onReply(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new IoError('node', `bench ${this.role}: ${reply.error ?? 'failed'}`));
  }
}

/**
 * Child side: answers requests with `handlers`, runs `cleanup` and exits when the parent
 * disconnects (or dies), or on an uncaught error.
 */
export function serveRpc(handlers: RpcHandlers, cleanup: () => Promise<void> = async () => {}): void {
  if (!process.send) throw new IoError('node', 'bench-node must be started by the benchmark (no IPC channel)');
  const exit = (code: number): void => {
    const hard = setTimeout(() => process.exit(code), 1500);
    hard.unref();
    cleanup().then(() => process.exit(code), () => process.exit(code));
  };
  process.on('disconnect', () => exit(0));
  process.on('uncaughtException', (error) => {
    process.stderr.write(`bench-node: ${error.message}\n`);
    exit(1);
  });
  process.on('message', (raw) => {
    const request = raw as Request;
    const handler = handlers[request.op] as ((args: unknown) => unknown) | undefined;
    const reply = (r: Omit<Reply, 'id'>): void => {
      if (process.connected) process.send!({ id: request.id, ...r });
    };
    if (!handler) return reply({ ok: false, error: `unknown operation ${request.op}` });
    Promise.resolve()
      .then(() => handler(request.args))
      .then((result) => reply({ ok: true, result }), (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }));
  });
}
