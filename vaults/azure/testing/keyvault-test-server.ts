import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { p256 } from '@noble/curves/nist.js';
import { startLoopbackHttpServer, type LoopbackHttpServer } from '../../../core/testing/loopback-http-server.js';

/** Key Vault operations the test endpoint serves. */
export type KeyVaultOperation = 'create' | 'get' | 'sign' | 'delete' | 'get-deleted';

/** A failure the test endpoint returns instead of serving a request. */
export interface KeyVaultInjectedFailure {
  /** HTTP status: 401, 403, 404, 429, 500 ... */
  readonly status: number;
  /** Only this operation fails; any when absent. */
  readonly operation?: KeyVaultOperation;
  /** How many requests fail (default 1). */
  readonly times?: number;
  /** Retry-After header value in seconds (sent with 429 and 503; default 0). */
  readonly retryAfterSeconds?: number;
}

interface TestKey {
  readonly name: string;
  readonly version: string;
  readonly crv: string;
  readonly kty: string;
  readonly ops: readonly string[];
  readonly privateKey: KeyObject;
  readonly created: number;
  deleted: boolean;
}

const ERROR_CODES: Readonly<Record<number, string>> = { 400: 'BadParameter', 401: 'Unauthorized', 403: 'Forbidden', 404: 'KeyNotFound', 409: 'Conflict', 429: 'Throttled', 500: 'InternalServerError', 503: 'ServiceUnavailable' };

class VaultFault extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/**
 * A local endpoint speaking the Azure Key Vault keys REST protocol as
 * @azure/keyvault-keys sends it (POST keys/{name}/create, GET keys/{name}/{version},
 * POST keys/{name}/{version}/sign, DELETE keys/{name}; `api-version` query; bearer
 * challenge then token; JWK keys with base64url x/y), on 127.0.0.1, for tests only.
 * Holds P-256 keys with node:crypto, checks each request, records protocol errors and
 * can inject failures (401, 403, 404, 429 with Retry-After ...).
 */
export class KeyVaultTestServer {
  /** Every authenticated request, in order. */
  readonly requests: Array<{ readonly method: string; readonly path: string; readonly apiVersion: string; readonly body: unknown }> = [];
  /** Requests that broke the protocol (missing api-version, bad body, wrong token ...). */
  readonly protocolErrors: string[] = [];
  private readonly keys = new Map<string, TestKey[]>();
  private readonly failures: Array<KeyVaultInjectedFailure & { remaining: number }> = [];
  private server: LoopbackHttpServer | undefined;
  private url = '';

  /** `token` is the only bearer token accepted. */
  constructor(private readonly token: string) {}

  /** Listens on an ephemeral 127.0.0.1 port; returns the vault URL. */
  async start(): Promise<string> {
    this.server = await startLoopbackHttpServer((req, res) => { this.handle(req, res); });
    this.url = this.server.url;
    return this.url;
  }

  /** The vault URL (after start). */
  get vaultUrl(): string {
    return this.url;
  }

  /** Closes the listener and every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  /** Makes the next matching requests fail with the given status. */
  inject(failure: KeyVaultInjectedFailure): void {
    this.failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  /** Drops every injected failure not yet used. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Adds a key directly (P-256 or P-384, with the given operations) for tests of existing keys; returns its version. */
  addKey(name: string, crv: 'P-256' | 'P-384', ops: readonly string[] = ['sign', 'verify']): string {
    return this.storeKey(name, crv, 'EC', ops).version;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let status = 200;
      let reply: unknown;
      let headers: Record<string, string> = {};
      try {
        reply = this.serve(req, Buffer.concat(chunks));
      } catch (error) {
        const fault = error instanceof VaultFault ? error : new VaultFault(500, String(error));
        status = fault.status;
        headers = fault.headers;
        reply = { error: { code: ERROR_CODES[status] ?? 'Error', message: fault.message } };
      }
      const out = Buffer.from(JSON.stringify(reply));
      res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': out.length, 'x-ms-request-id': randomBytes(8).toString('hex') });
      res.end(out);
    });
  }

  private protocolError(message: string): VaultFault {
    this.protocolErrors.push(message);
    return new VaultFault(400, message);
  }

  private serve(req: IncomingMessage, raw: Buffer): unknown {
    const url = new URL(req.url ?? '/', this.url);
    const auth = req.headers.authorization;
    if (auth === undefined) {
      // The SDK's first request carries no token: answer with the challenge it parses.
      throw new VaultFault(401, 'Unauthorized', {
        'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
      });
    }
    if (auth !== `Bearer ${this.token}`) {
      this.protocolErrors.push('wrong bearer token');
      throw new VaultFault(401, 'AKV10032: Invalid issuer.');
    }
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion || !/^(\d+\.\d+|\d{4}-\d{2}-\d{2})(-preview)?$/.test(apiVersion)) throw this.protocolError(`missing or malformed api-version in ${req.method} ${url.pathname}`);
    let body: unknown;
    if (req.method === 'POST') {
      if (!String(req.headers['content-type']).startsWith('application/json')) throw this.protocolError(`content-type ${req.headers['content-type']}`);
      try { body = JSON.parse(raw.toString('utf8')); } catch { throw this.protocolError('body is not JSON'); }
    }
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const op = this.operation(req.method ?? '', parts);
    this.requests.push({ method: req.method ?? '', path: url.pathname, apiVersion, body });
    const failure = this.failures.find((f) => f.remaining > 0 && (f.operation === undefined || f.operation === op));
    if (failure) {
      failure.remaining--;
      const headers: Record<string, string> = failure.status === 429 || failure.status === 503 ? { 'retry-after': String(failure.retryAfterSeconds ?? 0) } : {};
      throw new VaultFault(failure.status, `injected ${failure.status}`, headers);
    }
    const name = parts[1] ?? '';
    switch (op) {
      case 'create': return this.create(name, body);
      case 'get': return this.bundle(this.find(name, parts[2]));
      case 'sign': return this.sign(this.find(name, parts[2]), body);
      case 'get-deleted': return this.deletedBundle(name);
      default: return this.remove(name);
    }
  }

  private operation(method: string, parts: string[]): KeyVaultOperation {
    if (method === 'GET' && parts.length === 2 && parts[0] === 'deletedkeys' && /^[0-9a-zA-Z-]{1,127}$/.test(parts[1] ?? '')) return 'get-deleted';
    if (parts[0] !== 'keys' || !parts[1] || !/^[0-9a-zA-Z-]{1,127}$/.test(parts[1])) throw this.protocolError(`unexpected path /${parts.join('/')}`);
    if (method === 'POST' && parts.length === 3 && parts[2] === 'create') return 'create';
    if (method === 'GET' && (parts.length === 2 || parts.length === 3)) return 'get';
    if (method === 'POST' && parts.length === 4 && parts[3] === 'sign') return 'sign';
    if (method === 'DELETE' && parts.length === 2) return 'delete';
    throw this.protocolError(`unexpected ${method} /${parts.join('/')}`);
  }

  private storeKey(name: string, crv: string, kty: string, ops: readonly string[]): TestKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: crv === 'P-384' ? 'P-384' : 'P-256' });
    const key: TestKey = { name, version: randomBytes(16).toString('hex'), crv, kty, ops, privateKey, created: Math.floor(Date.now() / 1000), deleted: false };
    const versions = this.keys.get(name) ?? [];
    if (versions.some((v) => v.deleted)) throw new VaultFault(409, `Key ${name} is currently in a deleted but recoverable state.`);
    versions.push(key);
    this.keys.set(name, versions);
    return key;
  }

  private create(name: string, body: unknown): unknown {
    const b = (body ?? {}) as { kty?: unknown; crv?: unknown; key_ops?: unknown };
    if (b.kty !== 'EC' && b.kty !== 'EC-HSM') throw this.protocolError(`create: kty ${String(b.kty)}`);
    if (b.crv !== 'P-256') throw this.protocolError(`create: crv ${String(b.crv)}`);
    const ops = Array.isArray(b.key_ops) ? (b.key_ops as string[]) : ['sign', 'verify'];
    return this.bundle(this.storeKey(name, b.crv, b.kty, ops));
  }

  private find(name: string, version: string | undefined): TestKey {
    const versions = (this.keys.get(name) ?? []).filter((k) => !k.deleted);
    const key = version ? versions.find((k) => k.version === version) : versions[versions.length - 1];
    if (!key) throw new VaultFault(404, `A key with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault.`);
    return key;
  }

  private bundle(key: TestKey): unknown {
    const jwk = key.privateKey.export({ format: 'jwk' });
    return {
      key: { kid: `${this.url}/keys/${key.name}/${key.version}`, kty: key.kty, key_ops: key.ops, crv: key.crv, x: jwk.x, y: jwk.y },
      attributes: { enabled: true, created: key.created, updated: key.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90, exportable: false },
    };
  }

  private sign(key: TestKey, body: unknown): unknown {
    const b = (body ?? {}) as { alg?: unknown; value?: unknown };
    if (typeof b.value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(b.value)) throw this.protocolError('sign: value must be base64url');
    const digest = Buffer.from(b.value, 'base64url');
    const expected = key.crv === 'P-256' ? 'ES256' : 'ES384';
    if (b.alg !== expected) throw new VaultFault(400, `Algorithm ${String(b.alg)} is not supported for key curve ${key.crv}.`);
    if (!key.ops.includes('sign')) throw new VaultFault(403, 'Operation sign is not permitted on this key.');
    if (key.crv !== 'P-256') throw new VaultFault(400, 'the test endpoint signs with P-256 keys only');
    if (digest.length !== 32) throw new VaultFault(400, 'Invalid digest length for ES256.');
    const d = Buffer.from(key.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
    const signature = p256.sign(digest, d, { prehash: false });
    return { kid: `${this.url}/keys/${key.name}/${key.version}`, value: Buffer.from(signature).toString('base64url') };
  }

  private deletedBundle(name: string): unknown {
    const versions = this.keys.get(name) ?? [];
    const latest = versions[versions.length - 1];
    if (!latest || !latest.deleted) throw new VaultFault(404, `Deleted Key not found: ${name}`);
    return { ...(this.bundle(latest) as object), recoveryId: `${this.url}/deletedkeys/${name}`, deletedDate: latest.created, scheduledPurgeDate: latest.created + 90 * 86_400 };
  }

  private remove(name: string): unknown {
    const versions = (this.keys.get(name) ?? []).filter((k) => !k.deleted);
    const latest = versions[versions.length - 1];
    if (!latest) throw new VaultFault(404, `A key with (name/id) ${name} was not found in this key vault.`);
    for (const k of versions) k.deleted = true;
    const now = Math.floor(Date.now() / 1000);
    return { ...(this.bundle(latest) as object), recoveryId: `${this.url}/deletedkeys/${name}`, deletedDate: now, scheduledPurgeDate: now + 90 * 86_400 };
  }
}
