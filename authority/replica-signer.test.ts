import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyCredential, type PresentedCredential } from '../core/credential/credential.js';
import { signerKeyId } from '../core/credential/signer-key.js';
import { createIdentity } from '../core/identity/identity-lifecycle.js';
import type { Identity } from '../core/identity/identity.js';
import { PurposeKeys } from '../core/identity/purpose-keys.js';
import { Node } from '../core/node/node.js';
import type { KeyHandle } from '../core/vault/keys.js';
import { MemoryVault } from '../core/vault/memory-vault.js';
import { openSqliteAuthorityStore } from './authority-store-sqlite.js';
import { verifyRevocationList } from './revocation-list.js';
import { createProjectAuthority, type ProjectAuthority } from './services/project-authority.js';
import { SignerWithdrawnError } from './signer-withdrawn-error.js';
import type { SqlAuthorityStore } from './sql-authority-store.js';

/** The authority's primary-key vault (a stand-in for a KMS or HSM), counting the signatures it makes. */
class CountingVault extends MemoryVault {
  signatures = 0;
  override async signDigest(handle: KeyHandle, digest: Uint8Array): Promise<import('../core/vault/keys.js').Signature> {
    this.signatures++;
    return await super.signDigest(handle, digest);
  }
}

interface Replicas {
  hsm: CountingVault;
  identity: Identity;
  store: SqlAuthorityStore;
  a: ProjectAuthority;
  b: ProjectAuthority;
  admin: string;
  cleanup(): Promise<void>;
}

/** Two project node replicas of one authority on one store, each with its own local vault; the primary key in `hsm`. */
async function twoReplicas(): Promise<Replicas> {
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-replica-signer-'));
  const store = await openSqliteAuthorityStore(join(dir, 'authority.db'));
  const hsm = new CountingVault({ name: 'hsm' });
  const identity = await createIdentity(hsm, 'p256');
  const admin = (await createIdentity(new MemoryVault(), 'ed25519')).identifier;
  const nodes: Node[] = [];
  const replica = async (name: string): Promise<ProjectAuthority> => {
    const local = new MemoryVault({ name: `${name}-local` });
    const node = new Node({ name });
    nodes.push(node);
    return await createProjectAuthority({
      node, identity, identityVault: hsm, credentialVault: local, store, projectName: 'bank', projectRoute: '/ip4/127.0.0.1/tcp/4000', admin, replica: name,
      purposeKeys: new PurposeKeys({ identity, identityVault: hsm, secureChannelVault: local, credentialVault: local }),
    });
  };
  const a = await replica('bank-a');
  const b = await replica('bank-b');
  return {
    hsm, identity, store, a, b, admin,
    cleanup: async () => {
      await a.stop();
      await b.stop();
      for (const n of nodes) await n.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const present = (c: { credential: Uint8Array; attestation: Uint8Array }): PresentedCredential => ({ credential: c.credential, attestation: c.attestation });

describe('replica signing keys', () => {
  let r: Replicas | undefined;
  afterEach(async () => { await r?.cleanup(); r = undefined; });

  it('each replica registers its own attested key once; members verify both; the primary key never signs a credential', async () => {
    r = await twoReplicas();
    const afterStart = r.hsm.signatures;
    // One attestation per replica (the identity's own first change is signed before).
    expect(afterStart).toBe(1 + 2);
    const members = [(await createIdentity(new MemoryVault(), 'ed25519')).identifier, (await createIdentity(new MemoryVault(), 'ed25519')).identifier];
    for (const m of members) await r.a.authority.addMember(r.admin, m, { attributes: { team: 'x' } });
    const trustedIssuers = new Map([[r.identity.identifier, r.identity]]);
    const signersSeen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const replica = i % 2 === 0 ? r.a : r.b;
      const subject = members[i % 2 === 0 ? 0 : 1]!;
      const issued = await replica.authority.issueCredentialFor(subject);
      const verified = verifyCredential(present(issued), { subject, trustedIssuers, now: Math.floor(Date.now() / 1000) });
      signersSeen.add(verified.signerKey);
      expect(issued.signerKey).toBe(verified.signerKey);
    }
    expect(signersSeen.size).toBe(2);
    expect(r.hsm.signatures).toBe(afterStart);
    // Each issuance record names the key that signed it.
    const issued = (await r.store.readAudit()).filter((e) => e.type === 'credential.issued');
    expect(issued).toHaveLength(20);
    expect(new Set(issued.map((e) => e.fields.signerKey))).toEqual(signersSeen);

    const signers = await r.a.authority.listSigners(r.admin);
    expect(signers.map((s) => s.replica).sort()).toEqual(['bank-a', 'bank-b']);
    expect(new Set(signers.map((s) => s.keyId))).toEqual(signersSeen);
    const attested = (await r.store.readAudit()).filter((e) => e.type === 'signer.attested');
    expect(attested).toHaveLength(2);
    expect(attested.every((e) => e.actor === r!.identity.identifier)).toBe(true);
    expect(attested.map((e) => e.fields.signerKey).sort()).toEqual([...signersSeen].sort());
    // Restarting a replica's signer (same key, same attestation) writes nothing new.
    await r.a.signer!.credentialSigningKey();
    expect((await r.store.readAudit()).filter((e) => e.type === 'signer.attested')).toHaveLength(2);
  });

  it('a withdrawn key stops issuance and verification; its replica makes, attests and registers a new one', async () => {
    r = await twoReplicas();
    const member = (await createIdentity(new MemoryVault(), 'ed25519')).identifier;
    await r.a.authority.addMember(r.admin, member);
    const trustedIssuers = new Map([[r.identity.identifier, r.identity]]);
    const now = (): number => Math.floor(Date.now() / 1000);
    const old = await r.b.authority.issueCredentialFor(member);
    const oldKey = old.signerKey!;

    await expect(r.a.authority.withdrawSigner(member, oldKey)).rejects.toThrow(/signer.withdraw refused: role member may not do this/);
    await expect(r.a.authority.withdrawSigner(r.admin, 'K' + '0'.repeat(32))).rejects.toThrow(/is not a signing key of this authority/);
    const before = r.hsm.signatures;
    const withdrawn = await r.a.authority.withdrawSigner(r.admin, oldKey);
    expect(withdrawn).toMatchObject({ keyId: oldKey, replica: 'bank-b', withdrawnBy: r.admin });
    expect((await r.store.readAudit()).filter((e) => e.type === 'signer.withdrawn')).toMatchObject([{ actor: r.admin, fields: { signerKey: oldKey, replica: 'bank-b' } }]);

    // The revocation list names it; a member node checking with it refuses the old credential.
    const list = verifyRevocationList(await r.a.authority.signedRevocationList(), r.identity, Date.now());
    expect(list.withdrawnSigners.map((w) => w.key)).toEqual([oldKey]);
    const isWithdrawnSigner = (issuer: string, key: string): boolean => issuer === r!.identity.identifier && list.withdrawnSigners.some((w) => w.key === key);
    expect(() => verifyCredential(present(old), { subject: member, trustedIssuers, now: now(), isWithdrawnSigner })).toThrow(/withdrew its signing key/);

    // Replica B learned nothing yet (the withdrawal went through A): its next issuance is refused and audited, then it rotates.
    await expect(r.b.authority.issueCredentialFor(member)).rejects.toBeInstanceOf(SignerWithdrawnError);
    const fresh = await r.b.authority.issueCredentialFor(member);
    expect(fresh.signerKey).not.toBe(oldKey);
    expect(verifyCredential(present(fresh), { subject: member, trustedIssuers, now: now(), isWithdrawnSigner }).signerKey).toBe(fresh.signerKey);
    expect(r.hsm.signatures).toBe(before + 1);
    const signers = await r.a.authority.listSigners(r.admin);
    expect(signers.filter((s) => s.replica === 'bank-b').map((s) => [s.keyId, s.withdrawnAt !== undefined])).toEqual([[oldKey, true], [fresh.signerKey, false]]);
    expect((await r.store.readAudit()).filter((e) => e.type === 'credential.refused').map((e) => e.fields.reason)).toContain('signing key withdrawn');
    // B's revocation lists are signed by its new key, so members accept them.
    expect(verifyRevocationList(await r.b.authority.signedRevocationList(), r.identity, Date.now()).withdrawnSigners.map((w) => w.key)).toEqual([oldKey]);
    // The withdrawn key cannot be registered again.
    const stale = signers.find((s) => s.keyId === oldKey)!;
    await expect(r.a.authority.registerSigner({
      replica: 'bank-b', publicKey: { type: stale.keyType, bytes: Buffer.from(stale.publicKey, 'hex') }, attestation: old.attestation, expiresAt: stale.expiresAt,
    })).rejects.toBeInstanceOf(SignerWithdrawnError);
    expect(signerKeyId({ type: stale.keyType, bytes: Buffer.from(stale.publicKey, 'hex') })).toBe(oldKey);
  });

  it('a replica learns of a withdrawal made elsewhere from the shared signer list, and replaces its key before signing', async () => {
    r = await twoReplicas();
    const keyA = (await r.a.signer!.credentialSigningKey()).keyId;
    await r.b.authority.withdrawSigner(r.admin, keyA);
    await r.a.signer!.check(() => r!.a.authority.signers());
    const next = await r.a.signer!.credentialSigningKey();
    expect(next.keyId).not.toBe(keyA);
    const list = verifyRevocationList(await r.a.authority.signedRevocationList(), r.identity, Date.now());
    expect(list.withdrawnSigners.map((w) => w.key)).toEqual([keyA]);
  });
});
