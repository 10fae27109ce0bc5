import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../testing/run-command.js';
import IdentityCreate from './identity/create.js';
import IdentityShow from './identity/show.js';
import IdentityList from './identity/list.js';
import IdentityRotate from './identity/rotate.js';
import IdentityDelete from './identity/delete.js';
import VaultCreate from './vault/create.js';
import VaultList from './vault/list.js';
import VaultShow from './vault/show.js';
import VaultDelete from './vault/delete.js';
import CredentialIssue from './credential/issue.js';
import CredentialVerify from './credential/verify.js';
import CredentialShow from './credential/show.js';
import PolicyTest from './policy/test.js';

const run = runCommand;

describe('vault, identity, credential and policy test commands (in-process)', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-seccmd-'));
    saved = process.env.SYMBOLON_HOME;
    process.env.SYMBOLON_HOME = join(dir, 'home');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SYMBOLON_HOME;
    else process.env.SYMBOLON_HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, shows, rotates and deletes identities and vaults', async () => {
    const created = (await run(IdentityCreate, ['--json'])).json();
    expect(created).toMatchObject({ name: 'default', vault: 'default', keyType: 'ed25519', isDefault: true });
    expect((await run(VaultCreate, ['keys', '--type', 'file', '--json'])).json().vault).toMatchObject({ name: 'keys', type: 'file' });
    let r = await run(VaultCreate, ['bad', '--type', 'file', '--region', 'eu-west-1']);
    expect([r.code, r.stderr]).toEqual([2, 'Error: --region does not apply to a file vault\n']);
    r = await run(IdentityRotate, ['default', '--vault', 'keys', '--key-type', 'p256', '--json']);
    expect(r.json()).toMatchObject({ identifier: created.identifier, previousVault: 'default', vault: 'keys', keyType: 'p256' });
    const shown = (await run(IdentityShow, ['--json'])).json();
    expect(shown).toMatchObject({ identifier: created.identifier, vault: 'keys', keyType: 'p256', isDefault: true });
    expect(shown.changes.map((c: { signedByPreviousKey: boolean }) => c.signedByPreviousKey)).toEqual([false, true]);
    expect(shown.identity).toEqual({ identifier: created.identifier, changeHistory: expect.stringMatching(/^[0-9a-f]+$/) });
    r = await run(IdentityShow, []);
    expect(r.stdout).toContain(`identifier: ${created.identifier}`);
    expect(r.stdout).toContain('signed by the previous key');
    r = await run(VaultDelete, ['keys']);
    expect([r.code, r.stderr]).toEqual([2, "Error: vault 'keys' holds the key of identity 'default': rotate or delete it first\n"]);
    expect((await run(VaultList, ['--json'])).json().vaults.map((v: { name: string; identities: string[] }) => [v.name, v.identities])).toEqual([['default', []], ['keys', ['default']]]);
    expect((await run(VaultShow, ['keys'])).stdout).toMatch(/identities:\s+default/);
    expect((await run(IdentityList, [])).stdout).toMatch(/^NAME\s+IDENTIFIER\s+KEY\s+VAULT\s+DEFAULT\ndefault\s+I[0-9a-f]{32}\s+p256\s+keys\s+yes\n$/);
    r = await run(IdentityDelete, ['default']);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/^Error: Delete identity default \(I[0-9a-f]+\) and, in a file vault, its key: refused without confirmation; pass --yes to go ahead\n$/)]);
    expect((await run(IdentityList, ['--json'])).json().identities).toHaveLength(1);
    expect((await run(IdentityDelete, ['default', '--yes', '--json'])).json()).toMatchObject({ deleted: 'default', keyDeleted: true });
    expect((await run(VaultDelete, ['keys', '--json'])).json()).toEqual({ deleted: 'keys', type: 'file' });
    r = await run(IdentityShow, ['ghost', '--json']);
    expect([r.code, r.json().error.kind]).toEqual([3, 'not-found']);
  });

  it('issues, verifies and shows credentials, and refuses tampered or untrusted ones', async () => {
    await run(IdentityCreate, ['authority', '--key-type', 'p256']);
    const subject = (await run(IdentityCreate, ['bank', '--json'])).json().identifier as string;
    const file = join(dir, 'bank.credential');
    let r = await run(CredentialIssue, ['--as', 'authority', '--for', subject, '--attribute', 'component=db', '--attribute', 'env=a=b', '--ttl', '10m', '--output', file]);
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8').trim();
    r = await run(CredentialVerify, ['--file', file, '--issuer', 'authority', '--json']);
    expect(r.json()).toMatchObject({ valid: true, subject, attributes: { component: 'db', env: 'a=b' } });
    const expiresIn = Date.parse(r.json().expiresAt as string) - Date.now();
    expect(expiresIn).toBeGreaterThan(8 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);
    const authorityFile = join(dir, 'authority.json');
    writeFileSync(authorityFile, (await run(IdentityShow, ['authority', '--json'])).stdout);
    r = await run(CredentialVerify, ['--credential', text, '--issuer', authorityFile, '--subject', subject]);
    expect(r.stdout).toMatch(/^valid\n[\s\S]*attribute component: db/);
    r = await run(CredentialVerify, ['--credential', text, '--issuer', 'authority', '--subject', 'I0123456789abcdef0123456789abcdef', '--json']);
    expect([r.code, r.json().error.message]).toEqual([4, `credential: about ${subject}, not I0123456789abcdef0123456789abcdef`]);
    r = await run(CredentialVerify, ['--credential', text, '--issuer', 'bank']);
    expect(r.stderr).toMatch(/^Error: credential: issuer I[0-9a-f]{32} is not a trusted authority\n$/);
    // Flip one bit of the signed data (inside the credential bytes, past the CBOR headers).
    const bytes = Buffer.from(text, 'base64');
    bytes[40] = bytes[40]! ^ 0x01;
    r = await run(CredentialVerify, ['--credential', bytes.toString('base64'), '--issuer', 'authority']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^Error: [^\n]+\n$/);
    r = await run(CredentialVerify, ['--credential', 'not base64!', '--issuer', 'authority']);
    expect([r.code, r.stderr]).toEqual([2, 'Error: credential text must be one line of base64 (the output of: symbolon credential issue)\n']);
    r = await run(CredentialShow, ['--credential', text, '--json']);
    expect(r.json()).toMatchObject({ verified: false, subject, attributes: { component: 'db', env: 'a=b' } });
    r = await run(CredentialIssue, ['--as', 'authority', '--for', subject, '--ttl', '400d']);
    expect(r.code).toBe(2);
  });

  it('tests policy expressions locally and explains them', async () => {
    let r = await run(PolicyTest, ['--expression', 'subject.component == "db" && action == "handle"', '--subject', 'component=web', '--action', 'handle']);
    expect(r.stdout).toMatch(/^deny\n\s+decided by: `subject.component == "db"` evaluated to false\n/);
    r = await run(PolicyTest, ['--expression', 'subject.env in ["prod", "staging"]', '--subject', 'env=prod', '--json']);
    expect(r.json()).toMatchObject({ allowed: true, outcome: 'true' });
    r = await run(PolicyTest, ['--expression', 'subject.component == "db"']);
    expect(r.stdout).toMatch(/^deny\n\s+decided by: `subject.component == "db"` failed: /);
    r = await run(PolicyTest, ['--expression', '1 + ']);
    expect([r.code, r.stderr]).toEqual([2, 'Error: invalid policy expression: unexpected token: EOF (line 1, column 5)\n']);
    r = await run(PolicyTest, ['--expression', `${'('.repeat(200)}true${')'.repeat(200)}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});
