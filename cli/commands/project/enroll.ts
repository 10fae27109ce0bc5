import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { IoError } from '../../../core/errors.js';
import { ENROLLMENT_TICKET_PREFIX } from '../../../authority/enrollment-ticket.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { enrollWithTicket } from '../../project-steps.js';

/** Reads a ticket given as its line or as a file holding it. */
export function readTicketArgument(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith(ENROLLMENT_TICKET_PREFIX)) return trimmed;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (cause) {
    throw new IoError('cli', `'${value}' is neither a ticket (${ENROLLMENT_TICKET_PREFIX}...) nor a readable file: ${(cause as Error).message}`, { cause });
  }
  return text.trim();
}

/** `symbolon project enroll TICKET_OR_FILE`: joins a project with a ticket. */
export default class ProjectEnroll extends BaseCommand {
  static override summary = 'Join a project with an enrollment ticket.';
  static override description = 'Creates the identity if needed, records the project (its authority becomes trusted), makes sure the node runs, opens a secure channel to the project\'s authority, redeems the ticket and stores the membership and first credential. The node keeps the credential fresh from then on, also after restarts.';
  static override examples = ['<%= config.bin %> <%= command.id %> bank.ticket', '<%= config.bin %> <%= command.id %> symbolon-ticket-v1:... --node edge'];
  static override args = { ticket: Args.string({ description: 'the ticket line, or a file holding it', required: true }) };
  static override flags = {
    identity: Flags.string({ description: 'identity to enroll (default: the home default identity; created when missing)' }),
    node: Flags.string({ description: 'node that joins the project (default: the default node)' }),
    ws: Flags.boolean({ description: "reach the project node over the ticket's WebSocket route (through HTTP(S) proxies) instead of TCP", default: false }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectEnroll);
    const home = this.home;
    const { joined, identity, node: nodeName, authority } = await enrollWithTicket(home, {
      line: readTicketArgument(args.ticket),
      ...(flags.identity !== undefined ? { identity: flags.identity } : {}), ...(flags.node !== undefined ? { node: flags.node } : {}),
      ...(flags.ws ? { ws: true } : {}),
    });
    this.log(`Enrolled ${identity.name} (${identity.identifier}) in project ${joined.project} as ${joined.role}`);
    this.log(fields([
      ['node', nodeName],
      ['attributes', Object.entries(joined.attributes).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
      ['credential', joined.credentialExpiresAt ? `valid until ${joined.credentialExpiresAt}` : `none (${joined.credentialError ?? 'not issued'})`],
    ]));
    return { ...joined, node: nodeName, authority };
  }
}
