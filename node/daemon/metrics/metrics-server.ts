import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IoError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { formatHostPort, parseHostPort } from '../../../core/transport/host-port.js';
import type { NodeMetrics } from './node-metrics.js';

/** Connections the endpoint holds at once; more are closed on arrival. */
export const MAX_METRICS_CONNECTIONS = 32;
/** A request must have sent its headers within this long (ms). */
const HEADERS_TIMEOUT_MS = 5_000;
/** A request must be complete within this long (ms). */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The node's metrics and health endpoint, plain HTTP on one address:
 * `GET /metrics` (Prometheus text from the node's own registry), `GET /healthz` (200 while
 * the process serves requests), `GET /readyz` (200 when ready, else 503; the body lists
 * each check). HEAD works as GET without a body; other methods get 405, other paths 404.
 * Bounded: at most MAX_METRICS_CONNECTIONS connections, and slow requests are cut off.
 * It reads no request body and never answers with a secret or an identifier.
 */
export class MetricsServer {
  private constructor(private readonly server: Server, readonly address: string) {}

  /** Listens on `hostPort` (port 0 picks a free port); rejects with IoError when it cannot. */
  static async start(hostPort: string, metrics: NodeMetrics, { logger, signal }: { logger: Logger; signal?: AbortSignal }): Promise<MetricsServer> {
    const { host, port } = parseHostPort(hostPort, { what: 'metrics address', allowZero: true });
    const server = createServer((req, res) => { serve(metrics, req, res, logger); });
    server.maxConnections = MAX_METRICS_CONNECTIONS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        signal?.removeEventListener('abort', onAbort);
        reject(new IoError('node', `cannot serve metrics on ${hostPort}: ${error.message}`, { cause: error }));
      };
      const onAbort = (): void => { server.close(); };
      signal?.addEventListener('abort', onAbort, { once: true });
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    server.on('error', (error) => logger.warn({ err: error.message }, 'metrics endpoint error'));
    const bound = server.address() as AddressInfo;
    return new MetricsServer(server, formatHostPort(bound.address, bound.port));
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

function reply(res: ServerResponse, head: boolean, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

function serve(metrics: NodeMetrics, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  const path = (req.url ?? '/').split('?')[0];
  const head = req.method === 'HEAD';
  const text = 'text/plain; charset=utf-8';
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return reply(res, head, 404, text, 'not found: try /metrics, /healthz or /readyz\n');
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    return reply(res, head, 405, text, 'method not allowed\n');
  }
  if (path === '/healthz') return reply(res, head, 200, text, 'ok\n');
  if (path === '/readyz') {
    const { ready, checks } = metrics.readiness();
    const lines = checks.map((c) => (c.ok ? `ok ${c.name}` : `not ready: ${c.name}: ${c.detail ?? 'failed'}`));
    return reply(res, head, ready ? 200 : 503, text, `${ready ? 'ready' : 'not ready'}\n${lines.join('\n')}\n`);
  }
  metrics.text().then(
    (body) => reply(res, head, 200, metrics.contentType, body),
    (error: unknown) => {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'metrics collection failed');
      reply(res, head, 500, text, 'metrics collection failed\n');
    },
  );
}
