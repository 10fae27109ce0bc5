import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { table } from '../../../format.js';
import { resolveProject } from '../../../../node/client/project-setup.js';
import { listReplicas } from '../../../../node/client/project-replicas.js';

/** `symbolon project replica list`. */
export default class ReplicaList extends BaseCommand {
  static override summary = "List a project's replicas: health, relays held, members connected.";
  static override description = 'Asks a running project node of this home for every replica registered in the project database. A replica is healthy while its heartbeat (every 2.5 s) is recent (10 s).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --project bank --json'];
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ReplicaList);
    const project = resolveProject(this.home, flags.project);
    const list = await listReplicas(this.home, project.name);
    this.log(table(['REPLICA', 'ROUTE', 'HEALTH', 'RELAYS', 'MEMBERS', 'HEARTBEAT'],
      list.replicas.map((r) => [`${r.id}${r.self ? ' *' : ''}`, r.route, r.health, String(r.relays), String(r.members), r.heartbeatAt])));
    return list;
  }
}
