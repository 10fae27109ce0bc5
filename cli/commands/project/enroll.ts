import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { ExpiredError, InvalidInputError, IoError } from '../../../core/errors.js';
import { importIdentity } from '../../../core/identity/identity.js';
import { nowSeconds } from '../../../core/identity/seconds.js';
import { decodeEnrollmentTicket, ENROLLMENT_TICKET_PREFIX } from '../../../authority/enrollment-ticket.js';
import { BaseCommand } from '../../base-command.js';
import { DEFAULT_NODE_NAME } from '../../../node/client/ensure-node.js';
import { fields } from '../../format.js';
import { validateNodeName } from '../../../node/home/home.js';
import { defaultIdentityName, ensureIdentity } from '../../../node/home/identity-registry.js';
import { createNode } from '../../../node/client/node-lifecycle.js';
import { configuredNodeIdentity, setConfiguredNodeIdentity } from '../../../node/daemon/node-security.js';
import type { MembershipView } from '../../../node/api/project-views.js';
import { callProjectNode, ensureRunning } from '../../../node/client/project-setup.js';
import { deleteProject, projectNames, readProject, writeProject, type ProjectRecord } from '../../../node/home/project-registry.js';

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
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectEnroll);
    const home = this.home;
    const line = readTicketArgument(args.ticket);
    const ticket = decodeEnrollmentTicket(line);
    if (ticket.expiresAt <= Date.now()) throw new ExpiredError('authority', `the ticket for project '${ticket.projectName}' expired at ${new Date(ticket.expiresAt).toISOString()}; ask for a new one`);
    const authority = importIdentity(ticket.authorityChangeHistory, nowSeconds());

    const identity = await ensureIdentity(home, flags.identity);
    const nodeName = validateNodeName(flags.node ?? (flags.identity !== undefined && flags.identity !== defaultIdentityName(home) ? flags.identity : home.defaultNode() ?? DEFAULT_NODE_NAME));
    if (!home.hasNode(nodeName) && nodeName !== (home.defaultNode() ?? DEFAULT_NODE_NAME)) {
      createNode(home, nodeName);
      setConfiguredNodeIdentity(home, nodeName, identity.name);
    } else if (home.hasNode(nodeName) && (configuredNodeIdentity(home, nodeName) ?? defaultIdentityName(home)) !== identity.name) {
      throw new InvalidInputError('cli', `node '${nodeName}' runs another identity than '${identity.name}' (choose a node with --node)`);
    }

    const existing = projectNames(home).includes(ticket.projectName) ? readProject(home, ticket.projectName) : undefined;
    if (existing && existing.authorityIdentifier !== authority.identifier) {
      throw new InvalidInputError('cli', `this home already belongs to another project named '${ticket.projectName}' (authority ${existing.authorityIdentifier})`);
    }
    const { identifier, changeHistory } = authority.toJSON();
    const record: ProjectRecord = {
      version: 1, name: ticket.projectName, route: ticket.projectRoute, authority: { identifier, changeHistory }, authorityIdentifier: identifier,
      role: existing?.role ?? 'member', node: nodeName, ...(existing?.credential ? { credential: existing.credential } : {}),
      createdAt: existing?.createdAt ?? new Date().toISOString(),
    };
    writeProject(home, record);
    let joined: MembershipView;
    try {
      await ensureRunning(home, nodeName);
      joined = await callProjectNode(home, record, 'project.enroll', { project: record.name, ticket: line }, { timeoutMs: 45_000 });
    } catch (err) {
      if (!existing) deleteProject(home, ticket.projectName);
      throw err;
    }
    this.log(`Enrolled ${identity.name} (${identity.identifier}) in project ${joined.project} as ${joined.role}`);
    this.log(fields([
      ['node', nodeName],
      ['attributes', Object.entries(joined.attributes).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
      ['credential', joined.credentialExpiresAt ? `valid until ${new Date(joined.credentialExpiresAt).toISOString()}` : `none (${joined.credentialError ?? 'not issued'})`],
    ]));
    return { ...joined, node: nodeName, authority: authority.identifier };
  }
}
