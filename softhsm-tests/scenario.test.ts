import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../integration/support/cli.js';
import { startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import { Scenario, setUpScenario, type ScenarioSetup } from '../integration/support/scenario.js';
import { createSoftHsmDir, softhsmUnavailableReason, type SoftHsmDir } from './softhsm-fixture.js';

const unavailable = softhsmUnavailableReason();
if (unavailable) {
  if (process.env.SYMBOLON_REQUIRE_SOFTHSM === '1') throw new Error(`SoftHSM is required (SYMBOLON_REQUIRE_SOFTHSM=1) but ${unavailable}`);
  console.warn(`\n*** SKIPPING THE SOFTHSM SCENARIO: ${unavailable} ***\n`);
}

const TOKEN = 'bank-corp-hsm';
const PIN_ENV = 'SYMBOLON_BANK_HSM_PIN';

/** Every regular file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

interface KeyFile { kind: string; type: string; id: string; publicKey: string; secret: string }
function asKeyFile(path: string): KeyFile | undefined {
  if (statSync(path).size > 1024 * 1024) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<KeyFile>;
    return typeof v.kind === 'string' && typeof v.secret === 'string' && typeof v.publicKey === 'string' ? v as KeyFile : undefined;
  } catch {
    return undefined;
  }
}

describe.skipIf(unavailable !== undefined)('the scenario with Bank Corp\'s identity key generated inside SoftHSM', () => {
  let hsm: SoftHsmDir | undefined;
  let pin = '';
  let s: Scenario | undefined;
  let db: TestPostgres | undefined;
  let setup: ScenarioSetup;

  beforeAll(async () => {
    assertBuilt();
    hsm = createSoftHsmDir();
    pin = hsm.initToken(TOKEN);
    s = Scenario.create({ prefix: 'sym-hsm-', env: { bank: { SOFTHSM2_CONF: hsm.conf, [PIN_ENV]: pin } } });
    db = await startTestPostgres();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`CREATE TABLE accounts (id int PRIMARY KEY, owner text); INSERT INTO accounts VALUES (1, 'alice'), (2, 'bob')`);
    await c.end();
    await s.ok('bank', ['vault', 'create', 'hsm', '--type', 'pkcs11', '--module', hsm.module, '--token-label', TOKEN, '--pin-env', PIN_ENV]);
    await s.ok('bank', ['identity', 'create', 'bank', '--vault', 'hsm', '--key-type', 'p256']);
    setup = await setUpScenario(s, { target: `127.0.0.1:${new URL(db.url).port}`, bankIdentity: 'bank' });
  }, 120_000);

  afterAll(async () => {
    await s?.cleanup();
    await db?.stop();
    hsm?.remove();
  }, 60_000);

  it('enrolls the bank with the HSM identity, and a query runs through the relay portal', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: setup.inletPort, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 20_000, query_timeout: 20_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const r = await client.query('SELECT id, owner FROM accounts ORDER BY id');
      expect(r.rows).toEqual([{ id: 1, owner: 'alice' }, { id: 2, owner: 'bob' }]);
    } finally {
      await client.end();
    }
    // The end-to-end channel's peer, as the analysis node verified it, is the HSM identity.
    const bank = await s!.json<{ identifier: string; vault: string }>('bank', ['identity', 'show', 'bank']);
    expect(bank.vault).toBe('hsm');
    const channels = await s!.json<unknown>('analysis', ['secure-channel', 'list']);
    expect(JSON.stringify(channels)).toContain(bank.identifier);
  });

  it('the identity key on the token is sensitive and not extractable, and no private key of it exists in the home', async () => {
    const view = await s!.json<{ identifier: string; vault: string; keyType: string; publicKey: string; keyHandle: { vault: string; id: string; type: string } }>('bank', ['identity', 'show', 'bank']);
    expect(view).toMatchObject({ vault: 'hsm', keyType: 'p256', keyHandle: { vault: 'hsm', type: 'p256' } });
    expect(view.keyHandle.id).toMatch(/^[0-9a-f]{32}$/);
    const vaults = JSON.parse(readFileSync(join(s!.homes.bank, 'vaults.json'), 'utf8')) as unknown;
    expect(JSON.stringify(vaults)).toContain('"pkcs11"');
    expect(JSON.stringify(vaults)).not.toContain(pin);

    const previous = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = hsm!.conf;
    const lib = new pkcs11js.PKCS11();
    lib.load(hsm!.module);
    lib.C_Initialize();
    try {
      const slot = lib.C_GetSlotList(true).find((x) => lib.C_GetTokenInfo(x).label.trim() === TOKEN);
      expect(slot).toBeDefined();
      const session = lib.C_OpenSession(slot!, pkcs11js.CKF_SERIAL_SESSION);
      try {
        lib.C_Login(session, pkcs11js.CKU_USER, pin);
        lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(view.keyHandle.id, 'hex') }]);
        const found = lib.C_FindObjects(session, 10);
        lib.C_FindObjectsFinal(session);
        expect(found).toHaveLength(1);
        const [sensitive, extractable, neverExtractable] = lib.C_GetAttributeValue(session, found[0]!, [
          { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
        ]).map((a) => (a.value as Buffer)[0]);
        expect({ sensitive, extractable, neverExtractable }).toEqual({ sensitive: 1, extractable: 0, neverExtractable: 1 });
        expect(() => lib.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      } finally {
        lib.C_CloseSession(session);
      }
    } finally {
      lib.C_Finalize();
      if (previous === undefined) delete process.env.SOFTHSM2_CONF; else process.env.SOFTHSM2_CONF = previous;
    }

    // The home's key files hold only the node's purpose keys: none is the identity's key.
    const keyFiles = filesUnder(s!.homes.bank).map(asKeyFile).filter((k): k is KeyFile => k !== undefined);
    expect(keyFiles.length).toBeGreaterThanOrEqual(1);
    for (const k of keyFiles) {
      expect(k.publicKey.toLowerCase()).not.toBe(view.publicKey.toLowerCase());
      expect(k.id).not.toBe(view.keyHandle.id);
    }
    expect(keyFiles.some((k) => k.kind === 'x25519')).toBe(true);
  });
});
