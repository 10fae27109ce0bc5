import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { AbortedError, AlreadyExistsError, InvalidInputError, IoError, NotFoundError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { MAX_REQUEST_BYTES, RequestParseError, errorBody, isMethodName, parseRequest } from './control-protocol.js';
import type { ControlRequest, ControlResponse, RequestId } from './control-protocol.js';

/** What a method handler receives besides its params. */
export interface ControlContext {
  /** Aborted when the client disconnects or the server stops. */
  readonly signal: AbortSignal;
}

/** Handles one method: returns a JSON-serializable result or throws a SymbolonError. */
export type ControlHandler = (params: Record<string, unknown>, ctx: ControlContext) => unknown;

/** Options of a ControlServer. */
export interface ControlServerOptions {
  /** Path of the Unix socket; its folder is created 0700 when missing. */
  readonly path: string;
  readonly logger?: Logger;
  /** Longest accepted request line in bytes (default MAX_REQUEST_BYTES). */
  readonly maxRequestBytes?: number;
  /** Requests handled at once per connection before reading pauses (default 32). */
  readonly maxInFlight?: number;
}

/**
 * The local control socket of a node: a Unix socket (mode 0600) speaking newline-delimited
 * JSON (see control-protocol.ts). Methods come from a registry, so each service adds its
 * own with `register` without touching the server. A malformed, oversized or failing
 * request gets an error reply; the server keeps running.
 */
export class ControlServer {
  private readonly handlers = new Map<string, ControlHandler>();
  private readonly sockets = new Set<Socket>();
  private readonly logger: Logger;
  private readonly maxRequestBytes: number;
  private readonly maxInFlight: number;
  private readonly stopping = new AbortController();
  private server: Server | undefined;

  constructor(private readonly options: ControlServerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'control' });
    this.maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.maxInFlight = options.maxInFlight ?? 32;
  }

  /** The socket path. */
  get path(): string {
    return this.options.path;
  }

  /** Adds a method. Throws AlreadyExistsError if the name is taken. */
  register(method: string, handler: ControlHandler): void {
    if (!isMethodName(method)) throw new InvalidInputError('node', `invalid control method name '${method}'`);
    if (this.handlers.has(method)) throw new AlreadyExistsError('node', `control method '${method}' is already registered`);
    this.handlers.set(method, handler);
  }

  /** The registered method names, sorted. */
  methods(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /**
   * Listens on the socket path. A stale socket file (nobody answering) is replaced; a live
   * one makes this throw AlreadyExistsError.
   */
  async start({ signal }: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.server) throw new AlreadyExistsError('node', 'control server already started');
    const path = this.options.path;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new AlreadyExistsError('node', `'${path}' exists and is not a socket`);
      if (await answers(path)) throw new AlreadyExistsError('node', `control socket '${path}' is in use by a running node`);
      unlinkSync(path);
    }
    if (signal?.aborted) throw new AbortedError('node');
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new IoError('node', `cannot listen on control socket '${path}': ${err.message}`, { cause: err }));
      server.once('error', onError);
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    server.on('error', (err) => this.logger.error({ err: err.message }, 'control server error'));
    this.server = server;
    this.logger.info({ path }, 'control socket listening');
  }

  /** Closes the socket, drops connections, aborts running handlers and removes the socket file. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.stopping.abort();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.options.path);
    } catch {
      // already gone
    }
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const connection = new AbortController();
    const onStop = (): void => connection.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    let inFlight = 0;
    const cleanup = (): void => {
      this.sockets.delete(socket);
      this.stopping.signal.removeEventListener('abort', onStop);
      connection.abort();
    };
    socket.on('close', cleanup);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        const part = chunk.subarray(start, nl);
        start = nl + 1;
        if (bufferedBytes + part.length > this.maxRequestBytes) return this.rejectOversized(socket);
        const line = Buffer.concat([...buffered, part]).toString('utf8');
        buffered = [];
        bufferedBytes = 0;
        if (line.trim() === '') continue;
        inFlight++;
        if (inFlight >= this.maxInFlight) socket.pause();
        void this.handleLine(line, connection.signal).then((response) => {
          inFlight--;
          if (inFlight < this.maxInFlight) socket.resume();
          if (!socket.destroyed) socket.write(response);
        });
      }
      const rest = chunk.subarray(start);
      if (bufferedBytes + rest.length > this.maxRequestBytes) return this.rejectOversized(socket);
      if (rest.length > 0) {
        buffered.push(Buffer.from(rest));
        bufferedBytes += rest.length;
      }
    });
  }

  private rejectOversized(socket: Socket): void {
    const body = new InvalidInputError('node', `request exceeds ${this.maxRequestBytes} bytes`).toJSON().error;
    socket.end(`${JSON.stringify({ id: null, error: body })}\n`);
    socket.pause();
    socket.removeAllListeners('data');
  }

  /** Runs one request line and returns the response line (never throws). */
  private async handleLine(line: string, signal: AbortSignal): Promise<string> {
    let id: RequestId | null = null;
    let response: ControlResponse;
    try {
      const request: ControlRequest = parseRequest(line);
      id = request.id;
      const handler = this.handlers.get(request.method);
      if (!handler) throw new NotFoundError('node', `unknown control method '${request.method}'`);
      const result = await handler(request.params, { signal });
      response = { id, result: result ?? null };
    } catch (err) {
      if (err instanceof RequestParseError) id = err.requestId;
      const body = errorBody(err);
      if (body.kind === 'internal') this.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'control method failed');
      response = { id, error: body };
    }
    try {
      return `${JSON.stringify(response)}\n`;
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'control result is not serializable');
      return `${JSON.stringify({ id, error: { origin: 'node', kind: 'internal', message: 'internal error (see the node log)' } })}\n`;
    }
  }
}

/** True when something accepts connections on the Unix socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}
