import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { resolveProject } from '../../../../node/client/project-setup.js';
import { removeReplica } from '../../../../node/client/project-replicas.js';

/** `symbolon project replica remove ID`. */
export default class ReplicaRemove extends BaseCommand {
  static override summary = 'Remove a replica of a project.';
  static override description = "Stops and deletes the replica's node when it runs in this home, then deletes its registration and relay leases from the project database through another replica; the relays it held are re-registered by their nodes at the replicas they reconnect to.";
  static override examples = ['<%= config.bin %> <%= command.id %> bank-r2'];
  static override args = { replica: Args.string({ description: 'replica id (see project replica list)', required: true }) };
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ReplicaRemove);
    const project = resolveProject(this.home, flags.project);
    const result = await removeReplica(this.home, project.name, args.replica);
    this.log(`Replica ${args.replica} of project ${project.name} removed${result.nodeDeleted ? ' (its node in this home deleted)' : ''}`);
    return { project: project.name, replica: args.replica, ...result };
  }
}
