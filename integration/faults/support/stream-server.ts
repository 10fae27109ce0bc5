import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../support/cli.js';
import type { ServerEvent } from './stream-server-main.js';

const MAIN = fileURLToPath(new URL('./stream-server-main.ts', import.meta.url));

/** The stream server as a child process the suite can kill, freeze and start again on the same port. */
export class StreamServerProcess {
  /** Every connection the server reported, across restarts, in order. */
  readonly events: ServerEvent[] = [];
  private child: ChildProcess | undefined;

  private constructor(private readonly seed: string, public port: number) {}

  /** Starts the server (port 0: a free one) and resolves once it listens. */
  static async start(seed: string): Promise<StreamServerProcess> {
    const server = new StreamServerProcess(seed, 0);
    await server.launch();
    return server;
  }

  /** The server's pid (undefined while it is not running). */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Starts the process again on the same port after a kill. */
  async launch(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, this.seed, String(this.port)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`stream server exited (${code ?? signal}) before listening`)));
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        buffer += d;
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          const listening = /^listening (\d+)$/.exec(line);
          if (listening) { this.port = Number(listening[1]); resolve(); } else if (line.startsWith('{')) this.events.push(JSON.parse(line) as ServerEvent);
        }
      });
    });
    child.removeAllListeners('exit');
  }

  /** The last event reported for upload or download `id`. */
  event(mode: 'D' | 'U', id: number): ServerEvent | undefined {
    return this.events.findLast((e) => e.mode === mode && e.id === id);
  }

  /** Sends `signal` to the process. */
  signal(signal: NodeJS.Signals): void {
    if (this.child?.pid !== undefined) process.kill(this.child.pid, signal);
  }

  /** Kills the process (SIGKILL) and waits for its exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
}
