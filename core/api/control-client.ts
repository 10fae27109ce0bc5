import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { AbortedError, IoError, TimeoutError } from '../errors.js';
import { MAX_RESPONSE_BYTES, errorFromBody, isErrorBody } from './control-protocol.js';

/** Options of a ControlClient. */
export interface ControlClientOptions {
  /** Path of the node's control socket. */
  readonly path: string;
  /** The node's name, used in error messages ("node 'n1' is not running"). */
  readonly name?: string;
  /** Default time a call may take, in ms (default 10 000). */
  readonly timeoutMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * Client side of a node's control socket. Connects on first use, pipelines calls over one
 * connection and matches responses by id. An error reply is rethrown as a SymbolonError
 * with the server's origin, kind and message. Call `close()` when done.
 */
export class ControlClient {
  private readonly pending = new Map<number, Pending>();
  private readonly who: string;
  private socket: Promise<Socket> | undefined;
  private nextId = 1;

  constructor(private readonly options: ControlClientOptions) {
    this.who = options.name !== undefined ? `node '${options.name}'` : `the node at '${options.path}'`;
  }

  /** Calls `method` with `params` and returns its result. */
  async call(method: string, params: Record<string, unknown> = {}, { timeoutMs, signal }: CallOptions = {}): Promise<unknown> {
    if (signal?.aborted) throw new AbortedError('node');
    const limit = timeoutMs ?? this.options.timeoutMs ?? 10_000;
    const id = this.nextId++;
    const socket = await this.connect(limit);
    return new Promise<unknown>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const onAbort = (): void => {
        finish();
        reject(new AbortedError('node'));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new TimeoutError('node', `${this.who} did not answer '${method}' within ${limit} ms`));
      }, limit);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => { finish(); resolve(v); },
        reject: (e) => { finish(); reject(e); },
      });
      socket.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  /** Closes the connection; pending calls fail with IoError. */
  close(): void {
    const s = this.socket;
    this.socket = undefined;
    if (s) void s.then((sock) => sock.destroy(), () => undefined);
    this.failAll(new IoError('node', 'control connection closed'));
  }

  private connect(timeoutMs: number): Promise<Socket> {
    if (!this.socket) {
      this.socket = this.open(timeoutMs);
      this.socket.catch(() => { this.socket = undefined; });
    }
    return this.socket;
  }

  private open(timeoutMs: number): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const socket = createConnection(this.options.path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TimeoutError('node', `${this.who} did not accept a control connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onConnectError);
        this.attach(socket);
        resolve(socket);
      });
      const onConnectError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        const gone = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
        reject(gone
          ? new IoError('node', `${this.who} is not running`, { cause: err })
          : new IoError('node', `cannot reach ${this.who}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onConnectError);
    });
  }

  private attach(socket: Socket): void {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_RESPONSE_BYTES) {
        this.failAll(new IoError('node', `${this.who} sent an oversized response`));
        socket.destroy();
        return;
      }
      let nl = buffered.indexOf('\n');
      while (nl !== -1) {
        this.dispatch(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.socket) this.socket = undefined;
      this.failAll(new IoError('node', `${this.who} closed the control connection`));
    });
  }

  private dispatch(line: string): void {
    let response: { id?: unknown; result?: unknown; error?: unknown };
    try {
      response = JSON.parse(line) as typeof response;
    } catch {
      this.failAll(new IoError('node', `${this.who} sent a malformed response`));
      return;
    }
    const pending = typeof response.id === 'number' ? this.pending.get(response.id) : undefined;
    if (!pending) {
      if (response.id === null && isErrorBody(response.error)) this.failAll(errorFromBody(response.error));
      return;
    }
    if (response.error !== undefined) {
      pending.reject(isErrorBody(response.error) ? errorFromBody(response.error) : new IoError('node', `${this.who} sent a malformed error`));
    } else {
      pending.resolve(response.result);
    }
  }

  private failAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }
}

/** Connects, makes one call and closes. */
export async function callControl(options: ControlClientOptions, method: string, params: Record<string, unknown> = {}, callOptions: CallOptions = {}): Promise<unknown> {
  const client = new ControlClient(options);
  try {
    return await client.call(method, params, callOptions);
  } finally {
    client.close();
  }
}
