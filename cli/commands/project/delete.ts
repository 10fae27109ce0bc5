import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { deleteNode } from '../../../node/client/node-lifecycle.js';
import { NodeConfigFile } from '../../../node/home/node-config.js';
import { runningPid } from '../../../node/home/node-state.js';
import { AUTHORITY_SECTION, readAuthoritySection } from '../../../node/home/project-node.js';
import { forgetProject } from '../../../node/home/node-projects.js';
import { readProject } from '../../../node/home/project-registry.js';
import { callProjectNode } from '../../../node/client/project-setup.js';
import { confirmDestructive, yesFlag } from '../../confirm.js';

/** `symbolon project delete NAME`. */
export default class ProjectDelete extends BaseCommand {
  static override summary = 'Forget a project; stop and delete its project node when this home runs it.';
  static override description = 'Stops the node that kept the project credential fresh from doing so, removes the project record (its authority is no longer trusted), and when this home runs the project node, stops and deletes it (a SQLite authority database in the node folder goes with it; a Postgres database is left alone). Asks for confirmation on a terminal; --yes is required otherwise.';
  static override examples = ['<%= config.bin %> <%= command.id %> bank', '<%= config.bin %> <%= command.id %> bank --yes'];
  static override flags = { yes: yesFlag };
  static override args = { name: Args.string({ description: 'project name', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectDelete);
    const home = this.home;
    const record = readProject(home, args.name);
    const runsProjectNode = home.hasNode(args.name) && readAuthoritySection(new NodeConfigFile(home, args.name).section(AUTHORITY_SECTION))?.project === args.name;
    await confirmDestructive(flags.yes, runsProjectNode
      ? `Delete project ${args.name} and its project node (with a SQLite authority database: every member, ticket and the audit log)?`
      : `Forget project ${args.name} (this home leaves it)?`, { json: this.jsonEnabled() });
    if (record.node !== undefined && home.hasNode(record.node) && runningPid(home, record.node) !== undefined) {
      await callProjectNode(home, record, 'project.leave', { project: record.name }, { timeoutMs: 10_000 }).catch(() => undefined);
    }
    let nodeDeleted = false;
    if (runsProjectNode) {
      await deleteNode(home, args.name);
      nodeDeleted = true;
    }
    forgetProject(home, args.name);
    if (record.node !== undefined && home.hasNode(record.node) && runningPid(home, record.node) !== undefined) {
      await callProjectNode(home, { ...record, node: record.node }, 'security.reload', {}, { timeoutMs: 10_000 }).catch(() => undefined);
    }
    this.log(`Project ${args.name} deleted${nodeDeleted ? ' (project node stopped and removed)' : ''}`);
    return { name: args.name, projectNodeDeleted: nodeDeleted };
  }
}
