import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SymbolonError } from '../../core/errors.js';
import { signingVaultContract } from '../../core/vault/signing-vault-contract.js';
import { verifySignature } from '../../core/vault/verify.js';
import { AZURE_INSECURE_TEST_ENV } from './azure-config.js';
import { AZURE_INSECURE_TEST_TOKEN, createAzureKeyVault, type AzureKeyVault } from './azure-key-vault.js';
import { KeyVaultTestServer } from './testing/keyvault-test-server.js';

process.env[AZURE_INSECURE_TEST_ENV] = '1';

function digest(): Uint8Array {
  return new Uint8Array(createHash('sha256').update(randomBytes(16)).digest());
}

async function errorOf(p: Promise<unknown>): Promise<SymbolonError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(SymbolonError);
  expect((e as SymbolonError).origin).toBe('vault');
  return e as SymbolonError;
}

{
  let server: KeyVaultTestServer;
  signingVaultContract('azure (local Key Vault endpoint)', async () => {
    server = new KeyVaultTestServer(AZURE_INSECURE_TEST_TOKEN);
    const vaultUrl = await server.start();
    const vault = await createAzureKeyVault('akv', { vaultUrl, insecureTestEndpoint: true });
    return {
      vault,
      cleanup: async () => {
        expect(server.protocolErrors).toEqual([]);
        await server.stop();
      },
    };
  }, { keyTypes: ['p256'] });
}

describe('AzureKeyVault against the local Key Vault endpoint', () => {
  const server = new KeyVaultTestServer(AZURE_INSECURE_TEST_TOKEN);
  let vault: AzureKeyVault;

  beforeAll(async () => {
    const vaultUrl = await server.start();
    vault = await createAzureKeyVault('akv', { vaultUrl, insecureTestEndpoint: true }, { maxRetries: 2 });
  });
  afterEach(() => {
    expect(server.protocolErrors).toEqual([]);
  });
  afterAll(async () => {
    await vault.close();
    await server.stop();
  });

  it('sends what Key Vault expects: EC P-256 create, ES256 over the 32-byte digest, api-version', async () => {
    server.requests.length = 0;
    const h = await vault.generateSigningKey('p256', { label: 'bank identity' });
    expect(h.id).toMatch(/^bank-identity-[0-9a-f]{8}\/[0-9a-f]{32}$/);
    await vault.signDigest(h, digest());
    const create = server.requests.find((r) => r.path.endsWith('/create'));
    expect(create?.body).toMatchObject({ kty: 'EC', crv: 'P-256', key_ops: ['sign', 'verify'] });
    const sign = server.requests.find((r) => r.path.endsWith('/sign'));
    expect(sign?.path).toBe(`/keys/${h.id}/sign`);
    expect(sign?.body).toMatchObject({ alg: 'ES256' });
    expect(Buffer.from((sign?.body as { value: string }).value, 'base64url').length).toBe(32);
    expect(new Set(server.requests.map((r) => r.apiVersion)).size).toBe(1);
  });

  it('uses an existing key by name, optionally pinned to a version', async () => {
    const v1 = server.addKey('existing-key', 'P-256');
    const v2 = server.addKey('existing-key', 'P-256');
    const latest = await createAzureKeyVault('akv', { vaultUrl: server.vaultUrl, keyName: 'existing-key', insecureTestEndpoint: true });
    const [h] = await latest.listSigningKeys();
    expect(h).toEqual({ vault: 'akv', id: `existing-key/${v2}`, type: 'p256' });
    const d = digest();
    expect(verifySignature(await latest.signingPublicKey(h!), d, await latest.signDigest(h!, d))).toBe(true);
    const pinned = await createAzureKeyVault('akv', { vaultUrl: server.vaultUrl, keyName: 'existing-key', keyVersion: v1, insecureTestEndpoint: true });
    expect((await pinned.listSigningKeys())[0]?.id).toBe(`existing-key/${v1}`);
  });

  it('refuses an existing key that is not P-256 or cannot sign', async () => {
    server.addKey('p384-key', 'P-384');
    const p384 = await createAzureKeyVault('akv', { vaultUrl: server.vaultUrl, keyName: 'p384-key', insecureTestEndpoint: true });
    const e1 = await errorOf(p384.listSigningKeys());
    expect(e1.kind).toBe('unsupported');
    expect(e1.message).toContain('P-384');
    server.addKey('verify-only', 'P-256', ['verify']);
    const verifyOnly = await createAzureKeyVault('akv', { vaultUrl: server.vaultUrl, keyName: 'verify-only', insecureTestEndpoint: true });
    expect((await errorOf(verifyOnly.listSigningKeys())).message).toContain('does not allow the sign operation');
  });

  it('rejects Ed25519 with UnsupportedError', async () => {
    expect((await errorOf(vault.generateSigningKey('ed25519'))).kind).toBe('unsupported');
  });

  it('maps 403 to UnauthorizedError naming the permission', async () => {
    const h = await vault.generateSigningKey('p256');
    server.inject({ status: 403, operation: 'sign' });
    const e = await errorOf(vault.signDigest(h, digest()));
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toContain('keys/sign');
  });

  it('maps 404 to NotFoundError', async () => {
    const e = await errorOf(vault.signingPublicKey({ vault: 'akv', id: 'no-such-key/0123456789abcdef0123456789abcdef', type: 'p256' }));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('no-such-key');
  });

  it('retries 429 after Retry-After, then succeeds', async () => {
    const h = await vault.generateSigningKey('p256');
    const pub = await vault.signingPublicKey(h);
    await vault.signDigest(h, digest()); // warm the crypto client
    const before = server.requests.length;
    server.inject({ status: 429, operation: 'sign', times: 2, retryAfterSeconds: 0 });
    const d = digest();
    expect(verifySignature(pub, d, await vault.signDigest(h, d))).toBe(true);
    expect(server.requests.slice(before).filter((r) => r.path.endsWith('/sign')).length).toBe(3);
  });

  it('gives up on 429 after the bounded retries', async () => {
    const h = await vault.generateSigningKey('p256');
    await vault.signDigest(h, digest());
    server.inject({ status: 429, operation: 'sign', times: 5, retryAfterSeconds: 0 });
    const e = await errorOf(vault.signDigest(h, digest()));
    expect(e.kind).toBe('io');
    expect(e.message).toContain('throttling');
    server.clearFailures();
  });

  it('reports a wrong token as UnauthorizedError', async () => {
    const bad = await createAzureKeyVault('akv', { vaultUrl: server.vaultUrl, insecureTestEndpoint: true }, {
      credential: { getToken: async () => ({ token: 'wrong', expiresOnTimestamp: Date.now() + 60_000 }) },
    });
    expect((await errorOf(bad.generateSigningKey('p256'))).kind).toBe('unauthorized');
    server.protocolErrors.length = 0; // logged on purpose
  });
});

describe('AzureKeyVault configuration', () => {
  it('reports an unreachable vault as IoError naming it', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const vaultUrl = `http://127.0.0.1:${port}`;
    const vault = await createAzureKeyVault('akv', { vaultUrl, insecureTestEndpoint: true }, { maxRetries: 0 });
    const e = await errorOf(vault.generateSigningKey('p256'));
    expect(e.kind).toBe('io');
    expect(e.message).toBe(`Azure Key Vault ${vaultUrl} is unreachable (ECONNREFUSED)`);
  });

  it('allows the insecure test endpoint only with the env var and on loopback', async () => {
    delete process.env[AZURE_INSECURE_TEST_ENV];
    try {
      expect((await errorOf(createAzureKeyVault('akv', { vaultUrl: 'http://127.0.0.1:1', insecureTestEndpoint: true }))).message).toContain(AZURE_INSECURE_TEST_ENV);
    } finally {
      process.env[AZURE_INSECURE_TEST_ENV] = '1';
    }
    expect((await errorOf(createAzureKeyVault('akv', { vaultUrl: 'http://10.0.0.1', insecureTestEndpoint: true }))).message).toContain('loopback');
    expect((await errorOf(createAzureKeyVault('akv', { vaultUrl: 'http://my.vault.azure.net' }))).message).toContain('https');
    expect((await errorOf(createAzureKeyVault('akv', { vaultUrl: 'https://v.vault.azure.net', keyVersion: 'abc' }))).message).toContain('keyName');
  });
});
