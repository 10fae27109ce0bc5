import { Args, Flags } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import type { VaultKindFlag } from '../../../core/vault/vault-kind.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { addVault, describeVaultConfig, VAULT_KINDS, VAULT_TYPES, vaultKind } from '../../../node/home/vault-registry.js';

/** One oclif flag per distinct flag of the vault kinds, its help naming the kinds it applies to. */
function kindFlags(): Interfaces.FlagInput {
  const byName = new Map<string, { flag: VaultKindFlag; types: string[] }>();
  for (const kind of VAULT_KINDS) {
    for (const flag of kind.flags) {
      const seen = byName.get(flag.flag);
      if (seen) seen.types.push(kind.type);
      else byName.set(flag.flag, { flag, types: [kind.type] });
    }
  }
  const out: Interfaces.FlagInput = {};
  for (const [name, { flag, types }] of byName) {
    const description = `${types.join(', ')}: ${flag.description}`;
    out[name] = flag.value === 'boolean' ? Flags.boolean({ description, default: false })
      : flag.value === 'strings' ? Flags.string({ description, multiple: true })
        : Flags.string({ description });
  }
  return out;
}

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
    ...kindFlags(),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(VaultCreate);
    const kind = vaultKind(flags.type);
    const values = flags as Record<string, unknown>;
    const given = (flag: string): boolean => values[flag] !== undefined && values[flag] !== false;
    const own = new Set(kind.flags.map((f) => f.flag));
    const stray = VAULT_KINDS.flatMap((k) => k.flags).find((f) => !own.has(f.flag) && given(f.flag));
    if (stray) throw new InvalidInputError('cli', `--${stray.flag} does not apply to a ${kind.type} vault`);
    const config = Object.fromEntries(kind.flags.filter((f) => given(f.flag)).map((f) => [f.field, values[f.flag]]));
    const record = addVault(this.home, args.name, kind.type, config);
    this.log(`Vault ${record.name} (${record.type}) created`);
    const rows = describeVaultConfig(record, this.home);
    if (rows.length > 0) this.log(fields(rows));
    return { vault: record };
  }
}
