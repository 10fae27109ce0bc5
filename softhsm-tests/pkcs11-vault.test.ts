import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SymbolonError } from '../core/errors.js';
import { signingVaultContract } from '../core/vault/signing-vault-contract.js';
import { verifySignature } from '../core/vault/verify.js';
import { createPkcs11Vault, type Pkcs11Vault } from '../vaults/pkcs11/pkcs11-vault.js';
import { createSoftHsmDir, softhsmUnavailableReason, type SoftHsmDir } from './softhsm-fixture.js';

const unavailable = softhsmUnavailableReason();
if (unavailable) {
  if (process.env.SYMBOLON_REQUIRE_SOFTHSM === '1') throw new Error(`SoftHSM is required (SYMBOLON_REQUIRE_SOFTHSM=1) but ${unavailable}`);
  console.warn(`\n*** SKIPPING PKCS#11 / SoftHSM TESTS: ${unavailable} ***\n`);
}

// One token directory for the whole file: SoftHSM reads SOFTHSM2_CONF once, at C_Initialize.
let hsm: SoftHsmDir | undefined;
const pins = new Map<string, string>();
function setupTokens(): SoftHsmDir {
  if (hsm) return hsm;
  hsm = createSoftHsmDir();
  process.env.SOFTHSM2_CONF = hsm.conf;
  for (const label of ['contract', 'checks', 'wrong-pin']) pins.set(label, hsm.initToken(`symbolon-${label}`));
  process.env.SYMBOLON_TEST_PIN_CONTRACT = pins.get('contract');
  process.env.SYMBOLON_TEST_PIN_CHECKS = pins.get('checks');
  return hsm;
}

function digest(): Uint8Array {
  return new Uint8Array(createHash('sha256').update(randomBytes(16)).digest());
}

async function errorOf(p: Promise<unknown>): Promise<SymbolonError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(SymbolonError);
  return e as SymbolonError;
}

describe.skipIf(unavailable !== undefined)('PKCS#11 vault on SoftHSM', () => {
  afterAll(() => {
    hsm?.remove();
  });

  signingVaultContract('pkcs11 (SoftHSM)', async () => {
    const dir = setupTokens();
    const vault = await createPkcs11Vault('hsm', { module: dir.module, tokenLabel: 'symbolon-contract', pinEnv: 'SYMBOLON_TEST_PIN_CONTRACT' });
    return { vault, cleanup: async () => undefined };
  });

  describe('token checks', () => {
    let vault: Pkcs11Vault;
    let dir: SoftHsmDir;
    beforeAll(async () => {
      dir = setupTokens();
      vault = await createPkcs11Vault('hsm', { module: dir.module, tokenLabel: 'symbolon-checks', pinEnv: 'SYMBOLON_TEST_PIN_CHECKS', keyLabel: 'bank-identity' });
    });
    afterAll(async () => {
      await vault?.close();
    });

    it('supports P-256 and Ed25519 on SoftHSM', () => {
      expect([...vault.supportedKeyTypes].sort()).toEqual(['ed25519', 'p256']);
    });

    it('generates keys on the token as sensitive, never-extractable private token objects', async () => {
      for (const type of ['p256', 'ed25519'] as const) {
        const handle = await vault.generateSigningKey(type);
        // Read the attributes back through a session of our own, independent of the vault.
        const lib = new pkcs11js.PKCS11();
        lib.load(dir.module);
        try { lib.C_Initialize(); } catch (e) { expect(String((e as Error).message)).toContain('CKR_CRYPTOKI_ALREADY_INITIALIZED'); }
        const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === 'symbolon-checks');
        expect(slot).toBeDefined();
        const session = lib.C_OpenSession(slot!, pkcs11js.CKF_SERIAL_SESSION);
        try {
          lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(handle.id, 'hex') }]);
          const found = lib.C_FindObjects(session, 10);
          lib.C_FindObjectsFinal(session);
          expect(found.length).toBe(1);
          const attrs = lib.C_GetAttributeValue(session, found[0]!, [
            { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
            { type: pkcs11js.CKA_TOKEN }, { type: pkcs11js.CKA_PRIVATE }, { type: pkcs11js.CKA_LABEL },
          ]).map((a) => a.value as Buffer);
          expect(attrs.slice(0, 5).map((b) => b[0])).toEqual([1, 0, 1, 1, 1]);
          expect(attrs[5]!.toString()).toBe('bank-identity');
          // The private value cannot be read.
          expect(() => lib.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
        } finally {
          lib.C_CloseSession(session);
        }
      }
    });

    it('lists only keys with the configured key label, and they sign', async () => {
      const handles = await vault.listSigningKeys();
      expect(handles.length).toBeGreaterThanOrEqual(2);
      for (const h of handles) {
        const d = digest();
        expect(verifySignature(await vault.signingPublicKey(h), d, await vault.signDigest(h, d))).toBe(true);
      }
    });

    it('signs safely from many concurrent callers across pooled sessions, mixing key types', async () => {
      const p = await vault.generateSigningKey('p256');
      const e = await vault.generateSigningKey('ed25519');
      const keys = [p, e];
      const pubs = await Promise.all(keys.map((k) => vault.signingPublicKey(k)));
      const jobs = Array.from({ length: 200 }, (_, i) => ({ k: i % 2, d: digest() }));
      const sigs = await Promise.all(jobs.map((j) => vault.signDigest(keys[j.k]!, j.d)));
      sigs.forEach((s, i) => expect(verifySignature(pubs[jobs[i]!.k]!, jobs[i]!.d, s)).toBe(true));
    });

    it('reads the PIN from a 0600 file and refuses a group-readable one', async () => {
      const file = join(dir.dir, 'checks.pin');
      writeFileSync(file, `${pins.get('checks')}\n`, { mode: 0o600 });
      const v = await createPkcs11Vault('hsm2', { module: dir.module, tokenLabel: 'symbolon-checks', pinFile: file });
      expect((await v.listSigningKeys()).length).toBeGreaterThan(0);
      await v.close();
      chmodSync(file, 0o640);
      const e = await errorOf(createPkcs11Vault('hsm2', { module: dir.module, tokenLabel: 'symbolon-checks', pinFile: file }));
      expect(e.kind).toBe('unauthorized');
      expect(e.message).toContain('chmod 600');
    });

    it('names the token on a missing PIN variable', async () => {
      const e = await errorOf(createPkcs11Vault('x', { module: dir.module, tokenLabel: 'symbolon-checks', pinEnv: 'SYMBOLON_TEST_NO_SUCH_PIN' }));
      expect(e.message).toBe('environment variable SYMBOLON_TEST_NO_SUCH_PIN holding the PIN for token "symbolon-checks" is not set');
    });

    it('reports a wrong PIN as UnauthorizedError naming the token', async () => {
      process.env.SYMBOLON_TEST_WRONG_PIN = 'not-the-pin';
      const e = await errorOf(createPkcs11Vault('x', { module: dir.module, tokenLabel: 'symbolon-wrong-pin', pinEnv: 'SYMBOLON_TEST_WRONG_PIN' }));
      expect(e.kind).toBe('unauthorized');
      expect(e.message).toBe('wrong PIN for token "symbolon-wrong-pin"');
    });

    it('reports a missing token label as NotFoundError listing the labels present', async () => {
      const e = await errorOf(createPkcs11Vault('x', { module: dir.module, tokenLabel: 'no-such-token', pinEnv: 'SYMBOLON_TEST_PIN_CHECKS' }));
      expect(e.kind).toBe('not-found');
      expect(e.message).toContain('no PKCS#11 token labelled "no-such-token"');
      expect(e.message).toContain('"symbolon-checks"');
    });

    it('reports a missing module file as NotFoundError', async () => {
      const e = await errorOf(createPkcs11Vault('x', { module: '/nonexistent/libpkcs11.so', tokenLabel: 'symbolon-checks', pinEnv: 'SYMBOLON_TEST_PIN_CHECKS' }));
      expect(e.kind).toBe('not-found');
      expect(e.message).toBe('PKCS#11 module not found: /nonexistent/libpkcs11.so');
    });

    it('rejects a PIN given as a value instead of a source', async () => {
      const e = await errorOf(createPkcs11Vault('x', { module: dir.module, tokenLabel: 'symbolon-checks', pin: '1234' } as never));
      expect(e.kind).toBe('invalid');
      expect(e.message).toContain('pinEnv or pinFile');
    });
  });
});
