import { createPublicKey, generateKeyPairSync, randomUUID, sign as nodeSign, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { p256 } from '@noble/curves/nist.js';
import { checkSigV4 } from '../sigv4-check.js';
import { startLoopbackHttpServer, type LoopbackHttpServer } from '../../../core/testing/loopback-http-server.js';

/** KMS operations the test endpoint serves. */
export type KmsOperation = 'CreateKey' | 'DescribeKey' | 'GetPublicKey' | 'Sign' | 'ScheduleKeyDeletion' | 'CreateAlias' | 'ListAliases';

/** A failure the test endpoint returns instead of serving a request. */
export interface KmsInjectedFailure {
  /** KMS error code, e.g. 'AccessDeniedException', 'ThrottlingException'. */
  readonly error: string;
  /** Only requests for this operation fail; any operation when absent. */
  readonly operation?: KmsOperation;
  /** How many requests fail (default 1). */
  readonly times?: number;
  /** HTTP status (default 400, as KMS uses for client errors). */
  readonly status?: number;
}

/** Options of the local KMS-compatible test endpoint. */
export interface KmsTestServerOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

interface TestKey {
  readonly id: string;
  readonly arn: string;
  readonly spec: string;
  readonly usage: string;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  readonly description: string;
  readonly created: number;
  readonly privateKey?: KeyObject;
  readonly publicDer?: Buffer;
}

const ACCOUNT = '111122223333';
const OPERATIONS: readonly string[] = ['CreateKey', 'DescribeKey', 'GetPublicKey', 'Sign', 'ScheduleKeyDeletion', 'CreateAlias', 'ListAliases'];
const SIGNING_ALGORITHMS: Readonly<Record<string, readonly string[]>> = {
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  ECC_NIST_EDWARDS25519: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
  RSA_2048: ['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256'],
};

class KmsFault extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

/**
 * A local endpoint speaking the AWS KMS JSON 1.1 wire protocol (POST /,
 * `X-Amz-Target: TrentService.<Op>`, base64 blobs, `{"__type", "message"}` errors) on
 * 127.0.0.1, for tests only. It holds keys with node:crypto, verifies each request's
 * SigV4 signature and fields, records what it received, and can inject failures.
 * Anything the SDK sends that real KMS would reject lands in `protocolErrors`.
 */
export class KmsTestServer {
  /** Every well-formed request received, in order. */
  readonly requests: Array<{ readonly operation: string; readonly body: Record<string, unknown> }> = [];
  /** Requests that broke the wire protocol (bad target, content type, signature, fields). */
  readonly protocolErrors: string[] = [];
  private readonly keys = new Map<string, TestKey>();
  private readonly aliases = new Map<string, string>();
  private readonly failures: Array<{ error: string; operation?: KmsOperation; remaining: number; status: number }> = [];
  private server: LoopbackHttpServer | undefined;
  private url = '';

  constructor(private readonly options: KmsTestServerOptions) {}

  /** Listens on an ephemeral 127.0.0.1 port; returns the endpoint URL. */
  async start(): Promise<string> {
    this.server = await startLoopbackHttpServer((req, res) => { this.handle(req, res); });
    this.url = this.server.url;
    return this.url;
  }

  /** The endpoint URL (after start). */
  get endpoint(): string {
    return this.url;
  }

  /** Closes the listener and every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  /** Makes the next matching requests fail with the given KMS error. */
  inject(failure: KmsInjectedFailure): void {
    this.failures.push({ error: failure.error, operation: failure.operation, remaining: failure.times ?? 1, status: failure.status ?? 400 });
  }

  /** Drops every injected failure not yet used. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Sets a key's state, as EnableKey/DisableKey/ScheduleKeyDeletion would. */
  setKeyState(keyId: string, state: TestKey['state']): void {
    this.resolveKey(keyId).state = state;
  }

  /** The state of a key (for assertions). */
  keyState(keyId: string): TestKey['state'] {
    return this.resolveKey(keyId).state;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let status = 200;
      let reply: unknown;
      try {
        reply = this.serve(req, body);
      } catch (error) {
        const fault = error instanceof KmsFault ? error : new KmsFault('KMSInternalException', String(error), 500);
        status = fault.status;
        reply = { __type: fault.code, message: fault.message };
      }
      const out = Buffer.from(JSON.stringify(reply));
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': out.length, 'x-amzn-requestid': randomUUID() });
      res.end(out);
    });
  }

  private protocolError(code: string, message: string): KmsFault {
    this.protocolErrors.push(message);
    return new KmsFault(code, message);
  }

  private serve(req: IncomingMessage, raw: Buffer): unknown {
    if (req.method !== 'POST' || (req.url ?? '/') !== '/') throw this.protocolError('UnknownOperationException', `expected POST /, got ${req.method} ${req.url}`);
    const contentType = req.headers['content-type'];
    if (contentType !== 'application/x-amz-json-1.1') throw this.protocolError('SerializationException', `content-type ${contentType}`);
    const target = req.headers['x-amz-target'];
    const op = typeof target === 'string' && target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
    if (!OPERATIONS.includes(op)) throw this.protocolError('UnknownOperationException', `unknown X-Amz-Target ${String(target)}`);
    const authProblem = checkSigV4(req.method, req.url ?? '/', req.headers, raw, { ...this.options, service: 'kms' });
    if (authProblem !== null) throw this.protocolError(authProblem.startsWith('unknown access key') ? 'UnrecognizedClientException' : 'InvalidSignatureException', authProblem);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw this.protocolError('SerializationException', 'body is not JSON');
    }
    this.requests.push({ operation: op, body });
    const failure = this.failures.find((f) => f.remaining > 0 && (f.operation === undefined || f.operation === op));
    if (failure) {
      failure.remaining--;
      throw new KmsFault(failure.error, `injected ${failure.error}`, failure.status);
    }
    switch (op) {
      case 'CreateKey': return this.createKey(body);
      case 'DescribeKey': return { KeyMetadata: this.metadata(this.resolveKey(this.str(body, 'KeyId'))) };
      case 'GetPublicKey': return this.getPublicKey(body);
      case 'Sign': return this.signOp(body);
      case 'ScheduleKeyDeletion': return this.scheduleDeletion(body);
      case 'CreateAlias': return this.createAlias(body);
      default: return { Aliases: [...this.aliases].map(([name, id]) => ({ AliasName: name, AliasArn: `arn:aws:kms:${this.options.region}:${ACCOUNT}:${name}`, TargetKeyId: id })) };
    }
  }

  private str(body: Record<string, unknown>, field: string, optional = false): string {
    const v = body[field];
    if (v === undefined && optional) return '';
    if (typeof v !== 'string' || v === '') throw this.protocolError('ValidationException', `${field} must be a non-empty string`);
    return v;
  }

  private createKey(body: Record<string, unknown>): unknown {
    const spec = this.str(body, 'KeySpec', true) || 'SYMMETRIC_DEFAULT';
    const usage = this.str(body, 'KeyUsage', true) || 'ENCRYPT_DECRYPT';
    if (usage === 'SIGN_VERIFY' && !SIGNING_ALGORITHMS[spec]) throw this.protocolError('ValidationException', `KeySpec ${spec} cannot SIGN_VERIFY`);
    if (usage !== 'SIGN_VERIFY' && spec !== 'SYMMETRIC_DEFAULT') throw new KmsFault('ValidationException', `unsupported ${spec}/${usage} in the test endpoint`);
    if (body.Tags !== undefined && !(Array.isArray(body.Tags) && body.Tags.every((t) => typeof t?.TagKey === 'string' && typeof t?.TagValue === 'string'))) {
      throw this.protocolError('ValidationException', 'Tags must be [{TagKey, TagValue}]');
    }
    const id = randomUUID();
    let privateKey: KeyObject | undefined;
    if (spec === 'ECC_NIST_P256') privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    else if (spec === 'ECC_NIST_EDWARDS25519') privateKey = generateKeyPairSync('ed25519').privateKey;
    else if (spec === 'RSA_2048') privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const key: TestKey = {
      id, arn: `arn:aws:kms:${this.options.region}:${ACCOUNT}:key/${id}`, spec, usage, state: 'Enabled',
      description: typeof body.Description === 'string' ? body.Description : '', created: Date.now() / 1000,
      privateKey, publicDer: privateKey ? Buffer.from(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })) : undefined,
    };
    this.keys.set(id, key);
    return { KeyMetadata: this.metadata(key) };
  }

  private metadata(key: TestKey): unknown {
    return {
      AWSAccountId: ACCOUNT, KeyId: key.id, Arn: key.arn, CreationDate: key.created, Enabled: key.state === 'Enabled',
      Description: key.description, KeyUsage: key.usage, KeyState: key.state, Origin: 'AWS_KMS', KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: key.spec, KeySpec: key.spec, SigningAlgorithms: key.usage === 'SIGN_VERIFY' ? SIGNING_ALGORITHMS[key.spec] : undefined,
    };
  }

  private resolveKey(ref: string): TestKey {
    let id = ref;
    if (id.startsWith('arn:aws:kms:')) id = id.split(':').slice(5).join(':');
    if (id.startsWith('key/')) id = id.slice(4);
    if (id.startsWith('alias/')) id = this.aliases.get(id) ?? '';
    const key = this.keys.get(id);
    if (!key) throw new KmsFault('NotFoundException', `Key '${ref}' does not exist`);
    return key;
  }

  private usable(key: TestKey): void {
    if (key.state === 'Disabled') throw new KmsFault('DisabledException', `${key.arn} is disabled.`);
    if (key.state === 'PendingDeletion') throw new KmsFault('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  }

  private getPublicKey(body: Record<string, unknown>): unknown {
    const key = this.resolveKey(this.str(body, 'KeyId'));
    this.usable(key);
    if (!key.publicDer) throw new KmsFault('UnsupportedOperationException', `${key.arn} key usage is ENCRYPT_DECRYPT which is not valid for GetPublicKey.`);
    return {
      KeyId: key.arn, PublicKey: key.publicDer.toString('base64'), KeySpec: key.spec, CustomerMasterKeySpec: key.spec,
      KeyUsage: key.usage, SigningAlgorithms: SIGNING_ALGORITHMS[key.spec],
    };
  }

  private signOp(body: Record<string, unknown>): unknown {
    const key = this.resolveKey(this.str(body, 'KeyId'));
    const algorithm = this.str(body, 'SigningAlgorithm');
    const messageType = this.str(body, 'MessageType', true) || 'RAW';
    if (messageType !== 'RAW' && messageType !== 'DIGEST') throw this.protocolError('ValidationException', `MessageType ${messageType}`);
    const message = Buffer.from(this.str(body, 'Message'), 'base64');
    if (message.length === 0 || message.length > 4096) throw this.protocolError('ValidationException', 'Message must be 1 to 4096 bytes');
    this.usable(key);
    if (key.usage !== 'SIGN_VERIFY' || !key.privateKey) throw new KmsFault('InvalidKeyUsageException', `${key.arn} key usage is ${key.usage} which is not valid for Sign.`);
    if (!SIGNING_ALGORITHMS[key.spec]?.includes(algorithm)) throw new KmsFault('InvalidKeyUsageException', `Algorithm ${algorithm} is incompatible with key spec ${key.spec}.`);
    let signature: Uint8Array;
    if (algorithm === 'ECDSA_SHA_256') {
      if (messageType === 'DIGEST') {
        if (message.length !== 32) throw new KmsFault('ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
        const d = Buffer.from(key.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
        signature = p256.Signature.fromBytes(p256.sign(message, d, { prehash: false }), 'compact').toBytes('der');
      } else {
        signature = nodeSign('sha256', message, key.privateKey);
      }
    } else if (algorithm === 'ED25519_SHA_512') {
      if (messageType !== 'RAW') throw new KmsFault('ValidationException', 'ED25519_SHA_512 requires MessageType RAW.');
      signature = nodeSign(null, message, key.privateKey);
    } else {
      throw new KmsFault('ValidationException', `the test endpoint does not sign with ${algorithm}`);
    }
    return { KeyId: key.arn, Signature: Buffer.from(signature).toString('base64'), SigningAlgorithm: algorithm };
  }

  private scheduleDeletion(body: Record<string, unknown>): unknown {
    const key = this.resolveKey(this.str(body, 'KeyId'));
    const days = body.PendingWindowInDays ?? 30;
    if (typeof days !== 'number' || days < 7 || days > 30) throw this.protocolError('ValidationException', 'PendingWindowInDays must be 7..30');
    if (key.state === 'PendingDeletion') throw new KmsFault('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    key.state = 'PendingDeletion';
    return { KeyId: key.arn, DeletionDate: Date.now() / 1000 + days * 86_400, KeyState: 'PendingDeletion', PendingWindowInDays: days };
  }

  private createAlias(body: Record<string, unknown>): unknown {
    const name = this.str(body, 'AliasName');
    if (!name.startsWith('alias/') || name.startsWith('alias/aws/')) throw this.protocolError('ValidationException', `invalid alias name ${name}`);
    if (this.aliases.has(name)) throw new KmsFault('AlreadyExistsException', `An alias with the name ${name} already exists`);
    this.aliases.set(name, this.resolveKey(this.str(body, 'TargetKeyId')).id);
    return {};
  }
}
