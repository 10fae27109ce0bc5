import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { InvalidInputError, IoError } from '../../../core/errors.js';
import { decodeEnrollmentTicket, ENROLLMENT_TICKET_PREFIX } from '../../../authority/enrollment-ticket.js';
import type { MembershipView } from '../../../node/api/project-views.js';
import { callProjectNode, ensureRunning } from '../../../node/client/project-setup.js';
import { configuredNodeIdentity } from '../../../node/home/node-security-config.js';
import { defaultIdentityName } from '../../../node/home/identity-registry.js';
import { listProjects, readProject } from '../../../node/home/project-registry.js';
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
  static override description = 'Creates the identity if needed, records the project (its authority becomes trusted), makes sure the node runs, opens a secure channel to the project\'s authority, redeems the ticket and stores the membership and first credential. The node keeps the credential fresh from then on, also after restarts. Enrollment is safe to repeat: the same identity presenting the same ticket again gets the same membership and a fresh credential. When the ticket is refused, whatever this command created (identity, node, project record) is removed again. When the outcome is unknown (the node or the connection died after the authority may have recorded the membership), the identity and the project record are kept and the node this command started is stopped: finish with --resume, or run the same command again.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> bank.ticket',
    '<%= config.bin %> <%= command.id %> symbolon-ticket-v1:... --node edge',
    '<%= config.bin %> <%= command.id %> --resume',
  ];
  static override args = { ticket: Args.string({ description: 'the ticket line, or a file holding it (optional with --resume)', required: false }) };
  static override flags = {
    identity: Flags.string({ description: 'identity to enroll (default: the home default identity; created when missing)' }),
    node: Flags.string({ description: 'node that joins the project (default: the default node)' }),
    ws: Flags.boolean({ description: "reach the project node over the ticket's WebSocket route (through HTTP(S) proxies) instead of TCP", default: false }),
    udp: Flags.boolean({ description: "reach the project node over the ticket's UDP route instead of TCP", default: false, exclusive: ['ws'] }),
    'replica-route': Flags.string({ description: "connect to this one of the ticket's replica routes first (default: the route of the replica that issued it)", exclusive: ['ws', 'udp'] }),
    resume: Flags.boolean({ description: 'finish an enrollment whose outcome was unknown: fetch the membership and a credential from the authority without a ticket', default: false }),
    project: Flags.string({ description: 'with --resume: the project to finish (default: the ticket\'s, or the only project without a credential)' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectEnroll);
    if (flags.resume) return await this.resume(args.ticket, flags.project);
    if (args.ticket === undefined) throw new InvalidInputError('cli', 'give the ticket (or --resume to finish an interrupted enrollment)');
    const home = this.home;
    const { joined, identity, node: nodeName, authority } = await enrollWithTicket(home, {
      line: readTicketArgument(args.ticket),
      ...(flags.identity !== undefined ? { identity: flags.identity } : {}), ...(flags.node !== undefined ? { node: flags.node } : {}),
      ...(flags.ws ? { ws: true } : {}),
      ...(flags.udp ? { udp: true } : {}),
      ...(flags['replica-route'] !== undefined ? { replicaRoute: flags['replica-route'] } : {}),
    });
    this.report(identity.name, identity.identifier, nodeName, joined);
    return { ...joined, node: nodeName, authority };
  }

  /** `--resume`: asks the authority for the membership and a credential of the project's node, without a ticket. */
  private async resume(ticketArgument: string | undefined, projectFlag: string | undefined): Promise<unknown> {
    const home = this.home;
    let name = projectFlag ?? (ticketArgument !== undefined ? decodeEnrollmentTicket(readTicketArgument(ticketArgument)).projectName : undefined);
    if (name === undefined) {
      const pending = listProjects(home).filter((p) => p.credential === undefined).map((p) => p.name);
      if (pending.length !== 1) {
        throw new InvalidInputError('cli', pending.length === 0 ? 'no enrollment to resume: every project of this home holds a credential' : `several projects have no credential (${pending.join(', ')}): name one with --project`);
      }
      name = pending[0] as string;
    }
    const record = readProject(home, name);
    const nodeName = await ensureRunning(home, record.node);
    const joined = await callProjectNode(home, record, 'project.join', { project: record.name }, { timeoutMs: 45_000 });
    const identityName = configuredNodeIdentity(home, nodeName) ?? defaultIdentityName(home);
    this.report(identityName, joined.identifier, nodeName, joined);
    return { ...joined, node: nodeName, authority: record.authorityIdentifier, resumed: true };
  }

  private report(identityName: string, identifier: string, nodeName: string, joined: MembershipView): void {
    this.log(`Enrolled ${identityName} (${identifier}) in project ${joined.project} as ${joined.role}`);
    this.log(fields([
      ['node', nodeName],
      ['attributes', Object.entries(joined.attributes).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
      ['credential', joined.credentialExpiresAt ? `valid until ${joined.credentialExpiresAt}` : `none (${joined.credentialError ?? 'not issued'})`],
    ]));
  }
}
