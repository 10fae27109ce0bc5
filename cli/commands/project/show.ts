import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { nodeSummary } from '../../../node/client/node-lifecycle.js';
import { AUTHORITY_SECTION, readAuthoritySection } from '../../../node/home/project-node.js';
import { NodeConfigFile } from '../../../node/home/node-config.js';
import { projectCredential, projectRoutes, type ProjectRecord } from '../../../node/home/project-registry.js';
import { resolveProject } from '../../../node/client/project-setup.js';
import type { Home } from '../../../node/home/home.js';

/** What `project show` and `project list` report about a project. */
export interface ProjectView {
  readonly name: string;
  readonly route: string;
  /** Routes of all the project's replicas (the first is tried first); just `route` for a single project node. */
  readonly routes: readonly string[];
  readonly authority: string;
  readonly role: string | null;
  /** The node of this home that belongs to the project. */
  readonly node: string | null;
  readonly hasCredential: boolean;
  /** `not-a-member` (with since and reason) when the authority told this home's node it is no longer a member; else `member`. */
  readonly membership: { readonly state: 'member' } | { readonly state: 'not-a-member'; readonly since: string; readonly reason: string };
  /** Set when this home runs the project node. */
  readonly projectNode: { readonly name: string; readonly status: string; readonly storage: 'sqlite' | 'postgres' } | null;
  readonly createdAt: string;
}

/** The view of a project record (and of the project node, when this home runs it). */
export function projectView(home: Home, record: ProjectRecord): ProjectView {
  let projectNode: ProjectView['projectNode'] = null;
  if (home.hasNode(record.name)) {
    const section = readAuthoritySection(new NodeConfigFile(home, record.name).section(AUTHORITY_SECTION));
    if (section) projectNode = { name: record.name, status: nodeSummary(home, record.name).status, storage: section.database ? 'postgres' : 'sqlite' };
  }
  return {
    name: record.name, route: record.route, routes: projectRoutes(record), authority: record.authorityIdentifier, role: record.role ?? null, node: record.node ?? null,
    hasCredential: projectCredential(record) !== undefined, membership: record.membership ?? { state: 'member' }, projectNode, createdAt: record.createdAt,
  };
}

/** `symbolon project show [NAME]`. */
export default class ProjectShow extends BaseCommand {
  static override summary = 'Show a project this home belongs to.';
  static override description = 'Shows the project record (route, authority, role, the node that belongs to it) and, when this home runs the project node, its status. Without NAME: the default project.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> bank --json'];
  static override args = { name: Args.string({ description: 'project name (default: the default project)', required: false }) };
  static override flags = { identity: Flags.boolean({ description: 'print the project record with the authority identity (input of audit verify --authority)', default: false }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectShow);
    const record = resolveProject(this.home, args.name);
    if (flags.identity) {
      this.log(JSON.stringify(record, null, 2));
      return record;
    }
    const view = projectView(this.home, record);
    this.log(`Project ${view.name}`);
    this.log(fields([
      ['route', view.route],
      ...(view.routes.length > 1 ? [['replica routes', view.routes.join(', ')] as [string, string]] : []),
      ['authority', view.authority],
      ['role', view.role ?? '-'],
      ['node', view.node ?? '-'],
      ['credential', view.hasCredential ? 'held' : 'none'],
      ['membership', view.membership.state === 'member' ? 'member' : `NOT A MEMBER since ${view.membership.since} (${view.membership.reason}); credential refresh stopped`],
      ['project node', view.projectNode ? `${view.projectNode.name} (${view.projectNode.status}, ${view.projectNode.storage})` : 'not in this home'],
    ]));
    return view;
  }
}
