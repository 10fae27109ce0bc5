/**
 * Running the non-Node tools of the comparison rows (sshd, ssh, stunnel, openssl,
 * ssh-keygen) so that none outlives the run: each long-running tool is tracked by
 * {@link trackChild} (killed by `killAllChildren`), and starts under a small `sh` guard
 * that kills it as soon as the bench process's end of its stdin pipe closes, which also
 * happens when the bench process itself is killed outright.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { IoError, TimeoutError } from '../../core/errors.js';
import { trackChild } from './child-rpc.js';
import { openConnection } from './load-client.js';
import { MODE_ECHO } from './sink-server.js';

/**
 * `sh -c GUARD sh BIN ARGS...`: a background subshell waits for EOF on the pipe that was
 * stdin (fd 3) and then kills the tool; the shell then execs the tool in its own pid
 * (so `$$` is the tool), with stdin from /dev/null.
 */
export const GUARD_SCRIPT = 'exec 3<&0; p=$$; (read _ <&3; kill -9 "$p") >/dev/null 2>&1 & exec "$@" </dev/null 3<&-';

/** A running tool. */
export interface ToolProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Its stderr and stdout so far (the last 8 KiB). */
  output(): string;
  /** Resolves once it exited. */
  readonly exited: Promise<void>;
  /** Whether it has exited. */
  hasExited(): boolean;
  /** Its exit code, or the signal that ended it; undefined while it runs. */
  exitStatus(): number | string | undefined;
  /** Resolves once its output matches `pattern`; rejects when it exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Kills it (SIGTERM, SIGKILL after `graceMs`) and waits for its exit. */
  stop(graceMs?: number): Promise<void>;
}

/** The last lines of `text`, joined with ` | `, for one-line errors. */
export function tail(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

/** Starts `bin args` under the guard; its output is kept for errors. */
export function startTool(name: string, bin: string, args: readonly string[], options: { cwd?: string } = {}): ToolProcess {
  const child: ChildProcess = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'sh', bin, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  trackChild(child);
  let out = '';
  const listeners = new Set<() => void>();
  const onOutput = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-8192);
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  child.stdin!.on('error', () => {});
  let done = child.exitCode !== null || child.signalCode !== null;
  let status: number | string | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    done = true;
    status = code ?? signal ?? undefined;
    child.stdin!.end();
    for (const l of [...listeners]) l();
    resolve();
  }));
  child.once('error', (error) => onOutput(Buffer.from(`\n${name}: ${error.message}\n`)));
  return {
    name,
    pid: child.pid,
    output: () => out,
    exited,
    hasExited: () => done,
    exitStatus: () => status,
    waitFor: (pattern, timeoutMs) => new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (pattern.test(out)) finish();
        else if (done) finish(new IoError('node', `${name} exited: ${tail(out) || 'no output'}`));
      };
      const timer = setTimeout(() => finish(new TimeoutError('node', `${name} not ready within ${timeoutMs} ms: ${tail(out) || 'no output'}`)), timeoutMs);
      listeners.add(check);
      check();
    }),
    stop: async (graceMs = 2000) => {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs `bin args` to completion; rejects with its last output lines when it fails or takes over `timeoutMs`. */
export async function runTool(name: string, bin: string, args: readonly string[], timeoutMs = 30_000): Promise<void> {
  const tool = startTool(name, bin, args);
  const timer = setTimeout(() => { void tool.stop(0); }, timeoutMs);
  await tool.exited;
  clearTimeout(timer);
  // The guard's shell turned into the tool: its exit code is the tool's.
  const code = tool.exitStatus();
  if (code !== 0) throw new IoError('node', `${name} failed (${code}): ${tail(tool.output()) || 'no output'}`);
}

/** A free TCP port on 127.0.0.1 right now (the OS picks it; another process could still take it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Resolves once one byte goes through `address` to the sink's echo and back (the whole
 * tunnel is up: handshakes, authentication, forwarding); retries every 100 ms until
 * `timeoutMs`, or until `givenUp()` says a process of the tunnel has exited.
 */
export async function probeEcho(address: string, timeoutMs: number, givenUp: () => string | undefined = () => undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  for (;;) {
    const reason = givenUp();
    if (reason !== undefined) throw new IoError('node', reason);
    try {
      const socket = await openConnection(address, 5000);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new TimeoutError('node', 'no echo within 5 s')), 5000);
          socket.once('data', () => { clearTimeout(timer); resolve(); });
          socket.once('close', () => { clearTimeout(timer); reject(new IoError('node', 'closed before the echo')); });
          socket.on('error', () => {});
          socket.write(Buffer.of(MODE_ECHO, 0x61));
        });
        return;
      } finally {
        socket.destroy();
      }
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (performance.now() > deadline) throw new TimeoutError('node', `tunnel at ${address} not carrying data within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
