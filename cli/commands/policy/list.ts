import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { table } from '../../format.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon policy list`: the policies of a node. */
export default class PolicyList extends BaseCommand {
  static override summary = 'List the policies of a node.';
  static override description = 'Shows the node\'s policies: resource policies first, then resource-type policies. A stored expression that no longer compiles is marked invalid (it denies).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the home default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyList);
    const { node, result } = await callNode(this.home, flags.at, 'policy.list', {});
    if (result.policies.length === 0) this.log(`No policies at node ${node}.`);
    else this.log(table(['SCOPE', 'EXPRESSION', 'VALID'], result.policies.map((p) => [p.label, p.expression, p.valid ? 'yes' : 'no'])));
    return { node, policies: result.policies };
  }
}
