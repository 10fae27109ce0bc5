import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { fields } from '../../../format.js';
import { resolveProject } from '../../../../node/client/project-setup.js';
import { addReplica } from '../../../../node/client/project-replicas.js';

/** `symbolon project replica add --database URL --listen HOST:PORT`. */
export default class ReplicaAdd extends BaseCommand {
  static override summary = 'Start another project node (a replica) of a project on its Postgres.';
  static override description = `Creates and starts a node running the project's authority identity with its own purpose keys, sharing the project's Postgres (authority state, the one audit chain, the relay directory) with the other replicas, listening on --listen. Run it in the home that holds the authority identity and its vault. The database password comes from PGPASSWORD, a libpq passfile (~/.pgpass, PGPASSFILE) or --database-password-file (mode 0600), never from the URL. Tickets issued afterwards carry every replica's route; members reconnect to another replica when theirs is lost. See docs/scaling.md.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --database postgres://authority@db/bank --listen 0.0.0.0:4001',
    'PGPASSWORD=... <%= config.bin %> <%= command.id %> --project bank --database postgres://authority@db/bank --listen 10.0.0.2:4000 --name bank-east',
  ];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    database: Flags.string({ description: "the project's postgres://user@host/db URL (no password in it)", required: true }),
    'database-password-file': Flags.string({ description: 'file (mode 0600) holding the database password' }),
    listen: Flags.string({ description: 'HOST:PORT the replica listens on (members and other replicas connect here)', required: true }),
    name: Flags.string({ description: 'node name of the replica, also its replica id (default: PROJECT-rN)' }),
    foreground: Flags.boolean({ description: 'run the replica in this terminal', default: false }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ReplicaAdd);
    const project = resolveProject(this.home, flags.project);
    const added = await addReplica(this.home, {
      project: project.name, database: flags.database, listen: flags.listen, foreground: flags.foreground,
      ...(flags.name !== undefined ? { name: flags.name } : {}),
      ...(flags['database-password-file'] !== undefined ? { passwordFile: flags['database-password-file'] } : {}),
    });
    if (added.info === undefined) return undefined;
    this.log(`Replica ${added.node} of project ${project.name} started`);
    this.log(fields([['replica', added.node], ['route', added.route], ['pid', String(added.info.pid)]]));
    return { project: project.name, replica: added.node, node: added.node, route: added.route, pid: added.info.pid, tcpListenerAddress: added.info.tcpListenerAddress };
  }
}
