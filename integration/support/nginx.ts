import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's nginx (packages nginx-light, nginx) installs its binary. */
const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx'];

/** The nginx binary, or undefined when none is installed. */
export function nginxBinary(): string | undefined {
  return NGINX_CANDIDATES.find((path) => existsSync(path) && spawnSync(path, ['-v']).status === 0);
}

/** A reverse proxy started for one test. */
export interface ReverseProxy {
  /** The loopback port it listens on. */
  readonly port: number;
  /** The access log so far: one line per request, `STATUS PATH UPGRADE`. */
  accessLog(): string[];
  stop(): Promise<void>;
}

/** Options of {@link startNginxWebSocketProxy}. */
export interface NginxProxyOptions {
  readonly nginx: string;
  /** Port nginx listens on (127.0.0.1). */
  readonly port: number;
  /** Path prefix it proxies, e.g. `/symbolon/`. */
  readonly location: string;
  /** `host:port` of the WebSocket listener behind it. */
  readonly upstream: string;
  /** Serve TLS with this certificate and key (PEM): clients speak wss to nginx, nginx ws to the upstream. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/**
 * Starts nginx in the foreground (one process, its own temp prefix) as a reverse proxy that
 * passes WebSocket upgrades on `location` to `upstream`, the way a site fronting a node with
 * nginx would configure it (proxy_http_version 1.1, Upgrade and Connection headers, long
 * read timeout). Resolves once the port accepts connections.
 */
export async function startNginxWebSocketProxy(options: NginxProxyOptions): Promise<ReverseProxy> {
  const prefix = mkdtempSync(join(tmpdir(), 'sym-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  mkdirSync(join(prefix, 'tmp'));
  const tls = options.tls;
  if (tls) {
    writeFileSync(join(prefix, 'server.pem'), tls.cert, { mode: 0o600 });
    writeFileSync(join(prefix, 'server.key'), tls.key, { mode: 0o600 });
  }
  const asRoot = process.getuid?.() === 0;
  const config = `
${asRoot ? 'user root;' : ''}
daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 256; }
http {
  log_format wsproxy '$status $request_uri $http_upgrade';
  access_log ${prefix}/logs/access.log wsproxy;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${options.port}${tls ? ' ssl' : ''};
    ${tls ? `ssl_certificate ${prefix}/server.pem; ssl_certificate_key ${prefix}/server.key;` : ''}
    location ${options.location} {
      proxy_pass http://${options.upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
    location / { return 404; }
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), config);
  const child: ChildProcess = spawn(options.nginx, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs', 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(prefix, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = existsSync(join(prefix, 'logs', 'error.log')) ? readFileSync(join(prefix, 'logs', 'error.log'), 'utf8') : '';
      await stop();
      throw new Error(`nginx exited at start (${child.exitCode}): ${stderr}${log}`);
    }
    if (await accepts(options.port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${options.port} within 10 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: options.port,
    accessLog: () => {
      const path = join(prefix, 'logs', 'access.log');
      return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0) : [];
    },
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
