import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secureChannelVaultContract } from '../core/vault/secure-channel-vault-contract.js';
import { signingVaultContract } from '../core/vault/signing-vault-contract.js';
import type { SigningVaultContractOptions, SigningVaultFixture } from '../core/vault/signing-vault-contract.js';
import { Home } from '../node/home/home.js';
import { addVault, openVault, VAULT_KINDS, VAULT_TYPES } from '../node/home/vault-registry.js';
import type { OpenedVault } from '../node/home/vault-registry.js';
import { KmsTestServer } from '../vaults/aws-kms/testing/kms-test-server.js';
import { AZURE_INSECURE_TEST_ENV } from '../vaults/azure/azure-config.js';
import { AZURE_INSECURE_TEST_TOKEN } from '../vaults/azure/azure-key-vault.js';
import { KeyVaultTestServer } from '../vaults/azure/testing/keyvault-test-server.js';
import { createSoftHsmDir, softhsmUnavailableReason } from './softhsm-fixture.js';

// Every vault kind of the home's list, created with addVault and opened with openVault
// (that is, through its descriptor), passes the vault contract suites.

const REGION = 'eu-west-1';
const CREDS = { accessKeyId: 'AKIDSYMBOLONKINDS', secretAccessKey: 'kinds-secret-key' };
// Cloud credentials come from each provider's standard chain, here the environment.
process.env.AWS_ACCESS_KEY_ID = CREDS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = CREDS.secretAccessKey;
process.env[AZURE_INSECURE_TEST_ENV] = '1';

const softhsm = softhsmUnavailableReason();

/** A fresh home holding one vault of `type` made from `config`, opened through the registry. */
async function openedInHome(type: string, config: Record<string, unknown>, after: () => Promise<void> | void = () => undefined): Promise<{ opened: OpenedVault; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sym-kinds-'));
  const home = new Home(join(dir, 'home'));
  addVault(home, 'v', type, config);
  const opened = await openVault(home, 'v');
  return {
    opened,
    cleanup: async () => {
      await after();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How to stand up a vault of each kind on this machine, keyed by type. */
const setups: Record<string, { setup(): Promise<{ opened: OpenedVault; cleanup(): Promise<void> }>; options?: SigningVaultContractOptions; unavailable?: string }> = {
  file: { setup: () => openedInHome('file', {}) },
  'aws-kms': {
    async setup() {
      const server = new KmsTestServer({ ...CREDS, region: REGION });
      const endpoint = await server.start();
      return openedInHome('aws-kms', { region: REGION, endpoint }, async () => {
        expect(server.protocolErrors).toEqual([]);
        await server.stop();
      });
    },
  },
  azure: {
    async setup() {
      const server = new KeyVaultTestServer(AZURE_INSECURE_TEST_TOKEN);
      const vaultUrl = await server.start();
      return openedInHome('azure', { vaultUrl, insecureTestEndpoint: true }, async () => {
        expect(server.protocolErrors).toEqual([]);
        await server.stop();
      });
    },
    options: { keyTypes: ['p256'] },
  },
  pkcs11: {
    async setup() {
      const hsm = createSoftHsmDir();
      process.env.SOFTHSM2_CONF = hsm.conf;
      process.env.SYMBOLON_TEST_PIN_KINDS = hsm.initToken('symbolon-kinds');
      return openedInHome('pkcs11', { module: hsm.module, tokenLabel: 'symbolon-kinds', pinEnv: 'SYMBOLON_TEST_PIN_KINDS' }, () => hsm.remove());
    },
    ...(softhsm !== undefined ? { unavailable: softhsm } : {}),
  },
};

describe('vault kinds', () => {
  it('each kind of the list has a contract setup here', () => {
    expect(Object.keys(setups).sort()).toEqual([...VAULT_TYPES].sort());
  });
});

for (const kind of VAULT_KINDS) {
  const entry = setups[kind.type];
  if (entry === undefined) continue;
  describe.skipIf(entry.unavailable !== undefined)(`${kind.title} vault through its descriptor`, () => {
    signingVaultContract(`${kind.type} (vault registry)`, async (): Promise<SigningVaultFixture> => {
      const { opened, cleanup } = await entry.setup();
      return { vault: opened.signing, cleanup };
    }, entry.options);
    if (kind.type === 'file') {
      secureChannelVaultContract(`${kind.type} (vault registry)`, async () => {
        const { opened, cleanup } = await entry.setup();
        expect(opened.secureChannel).toBeDefined();
        return { vault: opened.secureChannel!, cleanup };
      });
    }
  });
}
