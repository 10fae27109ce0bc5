import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPkcs11Vault } from '../vaults/pkcs11/pkcs11-vault.js';
import { softhsmUnavailableReason } from './softhsm-fixture.js';

const unavailable = softhsmUnavailableReason();
if (unavailable && process.env.SYMBOLON_REQUIRE_SOFTHSM === '1') throw new Error(`SoftHSM is required but ${unavailable}`);
if (unavailable) console.warn(`\n*** SKIPPING scripts/softhsm-token.sh TEST: ${unavailable} ***\n`);

describe.skipIf(unavailable !== undefined)('scripts/softhsm-token.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-token-script-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a throwaway token and prints an environment a PKCS#11 vault opens with', async () => {
    const out = execFileSync(resolve('scripts/softhsm-token.sh'), ['script-token', join(dir, 'hsm')], { encoding: 'utf8' });
    const env = Object.fromEntries([...out.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(env).sort()).toEqual(['SOFTHSM2_CONF', 'SYMBOLON_PKCS11_MODULE', 'SYMBOLON_PKCS11_PIN', 'SYMBOLON_PKCS11_PIN_FILE', 'SYMBOLON_PKCS11_TOKEN_LABEL', 'SYMBOLON_SOFTHSM_DIR']);
    expect(statSync(env.SYMBOLON_PKCS11_PIN_FILE!).mode & 0o777).toBe(0o600);
    process.env.SOFTHSM2_CONF = env.SOFTHSM2_CONF;
    const vault = await createPkcs11Vault('script', { module: env.SYMBOLON_PKCS11_MODULE, tokenLabel: env.SYMBOLON_PKCS11_TOKEN_LABEL, pinFile: env.SYMBOLON_PKCS11_PIN_FILE });
    try {
      const handle = await vault.generateSigningKey('p256');
      expect((await vault.signDigest(handle, new Uint8Array(32))).bytes.length).toBe(64);
    } finally {
      await vault.close();
    }
  });
});
