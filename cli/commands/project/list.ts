import { BaseCommand } from '../../base-command.js';
import { table } from '../../format.js';
import { defaultProjectName, listProjects } from '../../../node/home/project-registry.js';
import { projectView } from './show.js';

/** `symbolon project list`. */
export default class ProjectList extends BaseCommand {
  static override summary = 'List the projects this home belongs to.';
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run(): Promise<unknown> {
    const home = this.home;
    const def = defaultProjectName(home);
    const views = listProjects(home).map((r) => ({ ...projectView(home, r), isDefault: r.name === def }));
    if (views.length === 0) this.log('No projects (create one: symbolon project create NAME --listen HOST:PORT, or enroll: symbolon project enroll TICKET)');
    else this.log(table(['NAME', 'ROLE', 'ROUTE', 'NODE', 'AUTHORITY', 'PROJECT NODE'], views.map((v) => [
      `${v.name}${v.isDefault ? ' (default)' : ''}`, v.role ?? '-', v.route, v.node ?? '-', v.authority, v.projectNode ? v.projectNode.status : '-',
    ])));
    return { projects: views };
  }
}
