import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { validateNodeName } from '../../../node/home/home.js';
import { callProjectNode, resolveProject } from '../../../node/client/project-setup.js';

/** `symbolon project refresh [PROJECT] [--at NODE]`: fetch a fresh credential now. */
export default class ProjectRefresh extends BaseCommand {
  static override summary = 'Fetch a fresh project credential now.';
  static override description = 'Asks the member node of this home (or --at NODE) to fetch a new credential from the project\'s authority at once, instead of waiting for its scheduled refresh, and prints the new expiry. When the authority refuses (for example because the member was removed), the refusal is printed as the error, logged on the node, and the command exits non-zero; the node keeps its current credential until it expires.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> bank --at edge'];
  static override args = { project: Args.string({ description: 'project (default: the default project)', required: false }) };
  static override flags = { at: Flags.string({ description: 'the node that belongs to the project (default: the one recorded for the project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectRefresh);
    const project = resolveProject(this.home, args.project);
    const node = flags.at === undefined ? project.node : validateNodeName(flags.at);
    const refreshed = await callProjectNode(this.home, { ...project, ...(node !== undefined ? { node } : {}) }, 'project.refresh', { project: project.name }, { timeoutMs: 30_000 });
    this.log(`Credential for project ${refreshed.project} refreshed`);
    this.log(fields([
      ['identifier', refreshed.identifier],
      ['issued at', refreshed.createdAt],
      ['expires at', refreshed.expiresAt],
      ['credential hash', refreshed.credentialHash],
    ]));
    return refreshed;
  }
}
