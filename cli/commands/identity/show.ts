import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { defaultIdentityName, loadIdentity } from '../../../node/home/identity-registry.js';
import { identityView } from '../../identity-view.js';

/** `symbolon identity show [NAME]`: identifier, key, vault and change history. */
export default class IdentityShow extends BaseCommand {
  static override summary = 'Show an identity: identifier, primary key, vault and change history.';
  static override description = 'Verifies and prints an identity of the home (default: the home default identity). With --json the output includes the full public identity (field "identity"), which other commands accept as an identity file, e.g. the authority identity for audit verify or credential verify --issuer FILE.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> bank',
    '<%= config.bin %> <%= command.id %> authority --json > authority.json',
  ];
  static override args = { name: Args.string({ description: 'identity name (default: the home default identity)', required: false }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(IdentityShow);
    const home = this.home;
    const name = args.name ?? defaultIdentityName(home);
    const { record, identity } = loadIdentity(home, name);
    const view = identityView(record, identity, defaultIdentityName(home) === name);
    this.log(`Identity ${name}${view.isDefault ? ' (default)' : ''}`);
    this.log(fields([
      ['identifier', view.identifier], ['key type', view.keyType], ['public key', view.publicKey],
      ['vault', view.vault], ['expires', view.expiresAt], ['changes', String(view.changes.length)],
    ]));
    for (const c of view.changes) {
      this.log(`  change ${c.index}: ${c.keyType} ${c.publicKey.slice(0, 16)}... from ${c.createdAt} until ${c.expiresAt}${c.signedByPreviousKey ? ', signed by the previous key' : ''}`);
    }
    return view;
  }
}
