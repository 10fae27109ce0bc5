import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { addVault, describeVaultConfig, VAULT_TYPES, type VaultType } from '../../../node/home/vault-registry.js';

/** `symbolon vault create NAME --type ...`: adds a vault to the home. */
export default class VaultCreate extends BaseCommand {
  static override summary = 'Add a vault (file, AWS KMS, Azure Key Vault or PKCS#11 token) to the home.';
  static override description = `Records a vault in <home>/vaults.json so identities can keep their primary key in it (identity create --vault NAME). No secret is stored: AWS and Azure credentials come from their standard credential chains, a PKCS#11 PIN from the environment variable named by --pin-env or the file named by --pin-file. A file vault keeps keys under <home>/vaults/NAME/, encrypted at rest when SYMBOLON_VAULT_PASSPHRASE is set. The home always has a built-in file vault named 'default'.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> keys --type file',
    '<%= config.bin %> <%= command.id %> kms --type aws-kms --region eu-west-1',
    '<%= config.bin %> <%= command.id %> kms --type aws-kms --region us-east-1 --endpoint http://127.0.0.1:4566 --key-id alias/bank',
    '<%= config.bin %> <%= command.id %> akv --type azure --vault-url https://bank.vault.azure.net --key-name bank-identity',
    '<%= config.bin %> <%= command.id %> hsm --type pkcs11 --module /usr/lib/softhsm/libsofthsm2.so --token-label bank --pin-env HSM_PIN',
  ];
  static override args = { name: Args.string({ description: 'vault name', required: true }) };
  static override flags = {
    type: Flags.string({ description: 'vault kind', options: [...VAULT_TYPES], required: true }),
    region: Flags.string({ description: 'aws-kms: AWS region, e.g. eu-west-1' }),
    endpoint: Flags.string({ description: 'aws-kms: endpoint of a KMS-compatible service' }),
    'key-id': Flags.string({ description: 'aws-kms: existing key id, alias or ARN to use (repeatable)', multiple: true }),
    'vault-url': Flags.string({ description: 'azure: https://NAME.vault.azure.net' }),
    'key-name': Flags.string({ description: 'azure: existing P-256 key to use' }),
    'key-version': Flags.string({ description: 'azure: pin --key-name to one version' }),
    'insecure-test-endpoint': Flags.boolean({ description: 'azure, TESTS ONLY: plain HTTP to a loopback endpoint; needs SYMBOLON_AZURE_INSECURE_TEST=1', default: false }),
    module: Flags.string({ description: 'pkcs11: path of the PKCS#11 module' }),
    'token-label': Flags.string({ description: 'pkcs11: label of the token' }),
    'pin-env': Flags.string({ description: 'pkcs11: name of the environment variable holding the user PIN' }),
    'pin-file': Flags.string({ description: 'pkcs11: path of a file (mode 0600) holding the user PIN' }),
    'key-label': Flags.string({ description: 'pkcs11: CKA_LABEL of keys created on the token' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(VaultCreate);
    const type = flags.type as VaultType;
    const given = (names: string[]): string[] => names.filter((n) => (flags as Record<string, unknown>)[n] !== undefined && (flags as Record<string, unknown>)[n] !== false);
    const allowed: Record<VaultType, string[]> = {
      file: [],
      'aws-kms': ['region', 'endpoint', 'key-id'],
      azure: ['vault-url', 'key-name', 'key-version', 'insecure-test-endpoint'],
      pkcs11: ['module', 'token-label', 'pin-env', 'pin-file', 'key-label'],
    };
    const all = Object.values(allowed).flat();
    const stray = given(all).filter((n) => !allowed[type].includes(n));
    if (stray.length > 0) throw new InvalidInputError('cli', `--${stray[0]} does not apply to a ${type} vault`);
    const config: Record<string, unknown> = {
      file: {},
      'aws-kms': { region: flags.region, endpoint: flags.endpoint, keyIds: flags['key-id'] },
      azure: { vaultUrl: flags['vault-url'], keyName: flags['key-name'], keyVersion: flags['key-version'], insecureTestEndpoint: flags['insecure-test-endpoint'] || undefined },
      pkcs11: { module: flags.module, tokenLabel: flags['token-label'], pinEnv: flags['pin-env'], pinFile: flags['pin-file'], keyLabel: flags['key-label'] },
    }[type] as Record<string, unknown>;
    const record = addVault(this.home, args.name, type, Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)));
    this.log(`Vault ${record.name} (${record.type}) created`);
    const rows = describeVaultConfig(record, this.home);
    if (rows.length > 0) this.log(fields(rows));
    return { vault: record };
  }
}
