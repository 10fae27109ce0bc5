import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SymbolonError } from '../../core/errors.js';
import { signingVaultContract } from '../../core/vault/signing-vault-contract.js';
import { verifySignature } from '../../core/vault/verify.js';
import { AwsKmsVault, createAwsKmsVault } from './aws-kms-vault.js';
import { KmsTestServer } from './testing/kms-test-server.js';

const CREDS = { accessKeyId: 'AKIDSYMBOLONTEST', secretAccessKey: 'test-secret-key' };
const REGION = 'eu-west-1';
const FAST = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

function digest(): Uint8Array {
  return new Uint8Array(createHash('sha256').update(randomBytes(16)).digest());
}

async function kindOf(p: Promise<unknown>): Promise<{ kind: string; message: string }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(SymbolonError);
  const err = e as SymbolonError;
  expect(err.origin).toBe('vault');
  return { kind: err.kind, message: err.message };
}

{
  let server: KmsTestServer;
  signingVaultContract('aws-kms (local KMS endpoint)', async () => {
    server = new KmsTestServer({ ...CREDS, region: REGION });
    const endpoint = await server.start();
    const vault = createAwsKmsVault('kms', { region: REGION, endpoint }, { credentials: CREDS, backoff: FAST });
    return {
      vault,
      cleanup: async () => {
        expect(server.protocolErrors).toEqual([]);
        await server.stop();
      },
    };
  });
}

describe('AwsKmsVault against the local KMS endpoint', () => {
  const server = new KmsTestServer({ ...CREDS, region: REGION });
  let vault: AwsKmsVault;

  beforeAll(async () => {
    const endpoint = await server.start();
    vault = createAwsKmsVault('kms', { region: REGION, endpoint }, { credentials: CREDS, backoff: FAST });
  });
  afterEach(() => {
    expect(server.protocolErrors).toEqual([]);
  });
  afterAll(async () => {
    await vault.close();
    await server.stop();
  });

  it('sends what KMS expects: SIGN_VERIFY key spec, DIGEST for P-256, RAW for Ed25519, tags', async () => {
    server.requests.length = 0;
    const p = await vault.generateSigningKey('p256', { label: 'bank identity' });
    const e = await vault.generateSigningKey('ed25519');
    await vault.signDigest(p, digest());
    await vault.signDigest(e, digest());
    const [c1, c2, s1, s2] = server.requests;
    expect(c1).toMatchObject({ operation: 'CreateKey', body: { KeyUsage: 'SIGN_VERIFY', KeySpec: 'ECC_NIST_P256', Tags: [{ TagKey: 'symbolon:label', TagValue: 'bank identity' }, { TagKey: 'symbolon:vault', TagValue: 'kms' }] } });
    expect(c2).toMatchObject({ operation: 'CreateKey', body: { KeySpec: 'ECC_NIST_EDWARDS25519' } });
    expect(s1).toMatchObject({ operation: 'Sign', body: { KeyId: p.id, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' } });
    expect(s2).toMatchObject({ operation: 'Sign', body: { KeyId: e.id, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' } });
    expect(Buffer.from(String(s1?.body.Message), 'base64').length).toBe(32);
  });

  it('uses an existing key by id, alias or ARN given in the config', async () => {
    const made = await vault.generateSigningKey('p256');
    const arn = `arn:aws:kms:${REGION}:111122223333:key/${made.id}`;
    const { CreateAliasCommand, KMSClient } = await import('@aws-sdk/client-kms');
    const admin = new KMSClient({ region: REGION, endpoint: server.endpoint, credentials: CREDS });
    await admin.send(new CreateAliasCommand({ AliasName: 'alias/symbolon-existing', TargetKeyId: made.id }));
    admin.destroy();
    const other = createAwsKmsVault('kms', { region: REGION, endpoint: server.endpoint, keyIds: ['alias/symbolon-existing', arn] }, { credentials: CREDS });
    const handles = await other.listSigningKeys();
    expect(handles).toEqual([
      { vault: 'kms', id: 'alias/symbolon-existing', type: 'p256' },
      { vault: 'kms', id: arn, type: 'p256' },
    ]);
    const pub = await other.signingPublicKey(handles[0]!);
    const d = digest();
    expect(verifySignature(pub, d, await other.signDigest(handles[1]!, d))).toBe(true);
    await other.close();
  });

  it('maps AccessDeniedException to UnauthorizedError naming the permission', async () => {
    const h = await vault.generateSigningKey('p256');
    server.inject({ operation: 'Sign', error: 'AccessDeniedException' });
    const e = await kindOf(vault.signDigest(h, digest()));
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toContain('kms:Sign');
    expect(e.message).toContain(h.id);
  });

  it('reports wrong credentials as UnauthorizedError', async () => {
    const bad = createAwsKmsVault('kms', { region: REGION, endpoint: server.endpoint }, { credentials: { accessKeyId: 'AKIDWRONG', secretAccessKey: 'x' } });
    const e = await kindOf(bad.generateSigningKey('p256'));
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toContain('credentials');
    await bad.close();
    server.protocolErrors.length = 0; // the endpoint logged the bad signature on purpose
  });

  it('maps a disabled key to InvalidInputError', async () => {
    const h = await vault.generateSigningKey('ed25519');
    server.setKeyState(h.id, 'Disabled');
    const e = await kindOf(vault.signDigest(h, digest()));
    expect(e.kind).toBe('invalid');
    expect(e.message).toMatch(/disabled/);
  });

  it('maps KMSInvalidStateException to InvalidInputError and pending deletion to NotFoundError', async () => {
    const h = await vault.generateSigningKey('p256');
    server.inject({ operation: 'Sign', error: 'KMSInvalidStateException' });
    expect((await kindOf(vault.signDigest(h, digest()))).kind).toBe('invalid');
    await vault.deleteSigningKey(h);
    expect(server.keyState(h.id)).toBe('PendingDeletion');
    expect((await kindOf(vault.signDigest(h, digest()))).kind).toBe('not-found');
    expect((await vault.listSigningKeys()).some((k) => k.id === h.id)).toBe(false);
  });

  it('rejects a key with the wrong usage or spec', async () => {
    const { CreateKeyCommand, KMSClient } = await import('@aws-sdk/client-kms');
    const admin = new KMSClient({ region: REGION, endpoint: server.endpoint, credentials: CREDS });
    const sym = await admin.send(new CreateKeyCommand({}));
    const rsa = await admin.send(new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'RSA_2048' }));
    admin.destroy();
    const symId = sym.KeyMetadata!.KeyId!;
    const rsaId = rsa.KeyMetadata!.KeyId!;
    const e1 = await kindOf(vault.signDigest({ vault: 'kms', id: symId, type: 'p256' }, digest()));
    expect(e1.kind).toBe('invalid');
    expect(e1.message).toMatch(/key usage/);
    const e2 = await kindOf(vault.signDigest({ vault: 'kms', id: rsaId, type: 'p256' }, digest()));
    expect(e2.kind).toBe('invalid');
    const listing = createAwsKmsVault('kms', { region: REGION, endpoint: server.endpoint, keyIds: [rsaId] }, { credentials: CREDS });
    const e3 = await kindOf(listing.listSigningKeys());
    expect(e3.kind).toBe('unsupported');
    expect(e3.message).toContain('RSA_2048');
    const e4 = await kindOf(listing.signingPublicKey({ vault: 'kms', id: symId, type: 'p256' }));
    expect(e4.kind).toBe('unsupported');
    await listing.close();
  });

  it('maps an unknown key to NotFoundError', async () => {
    const e = await kindOf(vault.signingPublicKey({ vault: 'kms', id: '00000000-0000-0000-0000-000000000000', type: 'p256' }));
    expect(e.kind).toBe('not-found');
  });

  it('retries ThrottlingException with backoff, then succeeds', async () => {
    const h = await vault.generateSigningKey('p256');
    const before = server.requests.length;
    server.inject({ operation: 'Sign', error: 'ThrottlingException', times: 2 });
    const pub = await vault.signingPublicKey(h);
    const d = digest();
    expect(verifySignature(pub, d, await vault.signDigest(h, d))).toBe(true);
    expect(server.requests.slice(before).filter((r) => r.operation === 'Sign').length).toBe(3);
  });

  it('gives up on ThrottlingException after the bounded attempts', async () => {
    const h = await vault.generateSigningKey('p256');
    const before = server.requests.length;
    server.inject({ operation: 'Sign', error: 'ThrottlingException', times: 10 });
    const e = await kindOf(vault.signDigest(h, digest()));
    expect(e.kind).toBe('io');
    expect(e.message).toContain('after 4 attempt');
    expect(server.requests.slice(before).length).toBe(4);
    server.clearFailures();
  });

  it('an abort during throttling backoff stops the retries', async () => {
    const slow = createAwsKmsVault('kms', { region: REGION, endpoint: server.endpoint }, { credentials: CREDS, backoff: { maxAttempts: 10, baseDelayMs: 5_000, maxDelayMs: 5_000 } });
    const h = await slow.generateSigningKey('p256');
    server.inject({ operation: 'Sign', error: 'ThrottlingException', times: 10 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const e = await kindOf(slow.signDigest(h, digest(), { signal: ac.signal }));
    expect(e.kind).toBe('aborted');
    server.clearFailures();
    await slow.close();
  });
});

describe('AwsKmsVault without a reachable endpoint', () => {
  it('reports ECONNREFUSED as IoError naming the endpoint', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const endpoint = `http://127.0.0.1:${port}`;
    const vault = createAwsKmsVault('kms', { region: REGION, endpoint }, { credentials: CREDS, backoff: FAST });
    const e = await kindOf(vault.generateSigningKey('p256'));
    expect(e.kind).toBe('io');
    expect(e.message).toBe(`AWS KMS endpoint ${endpoint} is unreachable (ECONNREFUSED)`);
    await vault.close();
  });

  it('keeps the SDK\'s Node-version warning away from users', () => {
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const script = "const { createAwsKmsVault } = await import('./vaults/aws-kms/aws-kms-vault.ts'); createAwsKmsVault('kms', { region: 'eu-west-1' }); console.log('made');";
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 20_000 });
    expect(out.stdout).toContain('made');
    expect(out.stderr).not.toContain('NodeVersionSupportWarning');
  });

  it('validates the persisted config', () => {
    expect(() => createAwsKmsVault('kms', { region: 'nowhere' })).toThrow(/region/);
    expect(() => createAwsKmsVault('kms', { region: REGION, endpoint: 'ftp://x' })).toThrow(/http/);
    expect(() => createAwsKmsVault('kms', { region: REGION, endpoint: 'https://user:pw@host' })).toThrow(/credentials/);
    expect(() => createAwsKmsVault('kms', { region: REGION, keyIds: [''] })).toThrow(/keyIds/);
    expect(() => createAwsKmsVault('kms', { region: REGION, deletionWindowDays: 3 })).toThrow(/7 to 30/);
  });
});
