import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';
import { createSoftHsmDir, softhsmUnavailableReason, type SoftHsmDir } from '../softhsm-tests/softhsm-fixture.js';

interface Shown { identifier: string; vault: string; keyType: string; changes: unknown[]; identity: { identifier: string; changeHistory: string } }

describe('identities, vaults and credentials through the real CLI', () => {
  const home = tempHome('sym-it-id-');
  let hsm: SoftHsmDir | undefined;

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(home);
    hsm?.remove();
  });

  it('creates, shows and rotates an identity into another vault, keeping its identifier', async () => {
    const created = await runCliJson(home, ['identity', 'create', 'bank']);
    expect(created.code).toBe(0);
    const { identifier } = created.json as { identifier: string };
    expect(identifier).toMatch(/^I[0-9a-f]{32}$/);
    expect((await runCliJson(home, ['vault', 'create', 'keys', '--type', 'file'])).code).toBe(0);
    const rotated = await runCliJson(home, ['identity', 'rotate', 'bank', '--vault', 'keys', '--key-type', 'p256']);
    expect(rotated.json).toMatchObject({ identifier, vault: 'keys', keyType: 'p256' });
    const shown = (await runCliJson(home, ['identity', 'show', 'bank'])).json as Shown;
    expect([shown.identifier, shown.vault, shown.keyType, shown.changes.length]).toEqual([identifier, 'keys', 'p256', 2]);
    expect(shown.identity.identifier).toBe(identifier);
    for (const f of ['config.json', 'vaults.json', 'identities/bank.json']) expect(statSync(join(home, f)).mode & 0o777).toBe(0o600);
    for (const d of ['', 'identities', 'vaults', 'vaults/keys']) expect(statSync(join(home, d)).mode & 0o777).toBe(0o700);
    const text = await runCli(home, ['identity', 'show', 'bank']);
    expect(text.stdout).toContain(`identifier: ${identifier}`);
  });

  it('issues a credential, verifies it with an exported issuer identity, and refuses a tampered copy', async () => {
    expect((await runCli(home, ['identity', 'create', 'authority'])).code).toBe(0);
    const subject = ((await runCliJson(home, ['identity', 'show', 'bank'])).json as Shown).identifier;
    const issued = await runCli(home, ['credential', 'issue', '--as', 'authority', '--for', subject, '--attribute', 'component=db', '--ttl', '10m']);
    expect(issued.code).toBe(0);
    const text = issued.stdout.trim();
    expect(text).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const authorityFile = join(home, 'authority-public.json');
    writeFileSync(authorityFile, (await runCli(home, ['identity', 'show', 'authority', '--json'])).stdout);
    const ok = await runCliJson(home, ['credential', 'verify', '--credential', text, '--issuer', authorityFile]);
    expect(ok.json).toMatchObject({ valid: true, subject, attributes: { component: 'db' } });
    const bytes = Buffer.from(text, 'base64');
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x40;
    const bad = await runCli(home, ['credential', 'verify', '--credential', bytes.toString('base64'), '--issuer', 'authority']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/^Error: credential: [^\n]+\n$/);
    const shown = await runCliJson(home, ['credential', 'show', '--credential', text]);
    expect(shown.json).toMatchObject({ verified: false, subject, attributes: { component: 'db' } });
  });

  it('keeps a primary key on a SoftHSM token, refusing PINs in the config', async () => {
    const unavailable = softhsmUnavailableReason();
    if (unavailable !== undefined) {
      // Without SoftHSM the vault can still be recorded, but not used.
      expect(unavailable).toMatch(/softhsm|libsofthsm2/);
      return;
    }
    hsm = createSoftHsmDir();
    const pin = hsm.initToken('sym-it');
    const env = { SOFTHSM2_CONF: hsm.conf, SYM_IT_PIN: pin };
    const created = await runCli(home, ['vault', 'create', 'hsm', '--type', 'pkcs11', '--module', hsm.module, '--token-label', 'sym-it', '--pin-env', 'SYM_IT_PIN', '--json'], { env });
    expect(created.code).toBe(0);
    expect(readFileSync(join(home, 'vaults.json'), 'utf8')).not.toContain(pin);
    const show = await runCli(home, ['vault', 'show', 'hsm'], { env });
    expect(show.stdout).toContain('SYM_IT_PIN');
    expect(show.stdout).not.toContain(pin);
    const id = await runCli(home, ['identity', 'create', 'hsm-bank', '--vault', 'hsm', '--key-type', 'p256', '--json'], { env });
    expect(id.code).toBe(0);
    const identifier = (JSON.parse(id.stdout) as { identifier: string }).identifier;
    const rotated = await runCli(home, ['identity', 'rotate', 'hsm-bank', '--vault', 'default', '--json'], { env });
    expect(JSON.parse(rotated.stdout)).toMatchObject({ identifier, previousVault: 'hsm', vault: 'default' });
    const noPin = await runCli(home, ['identity', 'create', 'x', '--vault', 'hsm'], { env: { SOFTHSM2_CONF: hsm.conf } });
    expect(noPin.code).toBe(4);
    expect(noPin.stderr).toMatch(/^Error: environment variable SYM_IT_PIN/);
    // The token holds the (non-extractable) key; the home holds no private key for it.
    const list = spawnSync('softhsm2-util', ['--show-slots'], { env: { ...process.env, SOFTHSM2_CONF: hsm.conf }, encoding: 'utf8' });
    expect(list.stdout).toContain('sym-it');
    expect(readdirSync(join(home, 'identities'))).toContain('hsm-bank.json');
  });
});
