import { Args, Flags } from '@oclif/core';
import { NotFoundError } from '../../../../core/errors.js';
import { BaseCommand } from '../../../base-command.js';
import { fields } from '../../../format.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';

/** How long member nodes take at most to apply a revocation (they fetch the list every 3 s). */
export const REVOCATION_PROPAGATION_MS = 10_000;

/** The lines saying when access ended and when every member node applies it. */
export function revocationFields(ended: Date, revokedUntil?: string): string {
  return fields([
    ['access ended', `${ended.toISOString()} (project node: channels and relays closed)`],
    ['member nodes', `refuse it by ${new Date(ended.getTime() + REVOCATION_PROPAGATION_MS).toISOString()} at the latest`],
    ...(revokedUntil !== undefined ? [['revocation published until', revokedUntil] as const] : []),
  ]);
}

/** `symbolon project member remove IDENTIFIER`. */
export default class MemberRemove extends BaseCommand {
  static override summary = 'Remove a project member (admins): its access ends now.';
  static override description = 'Removes the member and revokes every credential issued to it: the project node closes its secure channels and relays at once and refuses it from then on; member nodes (outlets, inlets) learn it from the signed revocation list they fetch every few seconds and close its channels and portal sessions within 10 seconds, also across restarts. Prints when access ended. The last admin cannot be removed. To end access for a while only, use `project member suspend`.';
  static override examples = ['<%= config.bin %> <%= command.id %> I0123...'];
  static override args = { identifier: Args.string({ description: 'the member\'s identifier (I...)', required: true }) };
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MemberRemove);
    const project = resolveProject(this.home, flags.project);
    const result = await callProjectNode(this.home, project, 'project.member.remove', { project: project.name, identifier: args.identifier });
    if (!result.removed) throw new NotFoundError('authority', `${args.identifier} is not a member of project ${project.name}`);
    const ended = new Date(result.accessEndedAt ?? Date.now());
    this.log(`Member ${args.identifier} removed from project ${project.name}`);
    this.log(revocationFields(ended, result.revokedUntil));
    return {
      project: project.name, identifier: args.identifier, removed: true, accessEndedAt: ended.toISOString(),
      membersApplyBy: new Date(ended.getTime() + REVOCATION_PROPAGATION_MS).toISOString(),
      ...(result.revokedUntil !== undefined ? { revokedUntil: result.revokedUntil } : {}),
    };
  }
}
