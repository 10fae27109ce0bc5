import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { launchNode } from '../../../node/client/node-lifecycle.js';
import { joinProject, prepareProject, undoProject } from '../../project-steps.js';
import { metricsEndpointFromFlags, metricsFlags } from '../../metrics-flags.js';

/** `symbolon project create NAME --listen HOST:PORT`: starts a project node and makes the caller its admin. */
export default class ProjectCreate extends BaseCommand {
  static override summary = 'Create a project: a node running the authority and a relay service.';
  static override description = `Creates node NAME (its identity, NAME-authority, is the project's authority) listening on --listen, with the authority services (tickets, enrollment, credentials, members, audit log; SQLite in the node folder, or Postgres with --database) and a relay service, and starts it in the background (--foreground: in this terminal). The creator's identity (--identity, default the home's default identity) becomes the project's first admin; the home records the project so later commands find it, and the admin's node fetches its credential.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> bank --listen 127.0.0.1:4000',
    '<%= config.bin %> <%= command.id %> bank --listen 0.0.0.0:4000 --database postgres://authority@db/bank',
    '<%= config.bin %> <%= command.id %> bank --listen 0.0.0.0:4000 --ws-listener-address 127.0.0.1:4080 --ws-route /dns/symbolon.bank.example/tcp/443/wss/path/bank',
    '<%= config.bin %> <%= command.id %> bank --listen 0.0.0.0:4000 --udp-listener-address 0.0.0.0:4000',
    '<%= config.bin %> <%= command.id %> bank --listen 127.0.0.1:4000 --metrics 127.0.0.1:9464',
    '<%= config.bin %> <%= command.id %> bank --listen 0.0.0.0:4000 --vault hsm --database postgres://authority@db/bank',
  ];
  static override args = { name: Args.string({ description: 'project name (also the project node name)', required: true }) };
  static override flags = {
    listen: Flags.string({ description: 'HOST:PORT the project node listens on (members connect here)', required: true }),
    identity: Flags.string({ description: 'identity that becomes the admin (default: the home default identity)' }),
    database: Flags.string({ description: 'postgres://... URL for the authority state (default: SQLite in the node folder)' }),
    vault: Flags.string({ description: 'vault (vault create) holding the authority\'s primary key: an AWS KMS, Azure Key Vault or PKCS#11 (HSM) vault in production (default: the home\'s file vault). The key signs only identity changes, key attestations and audit checkpoints, never a credential' }),
    'key-type': Flags.string({ description: 'type of the authority\'s primary key (default: ed25519 when the vault offers it, else p256)', options: ['ed25519', 'p256'], dependsOn: ['vault'] }),
    'database-password-file': Flags.string({ description: 'file (mode 0600) holding the database password (else PGPASSWORD or a libpq passfile; never in the URL)', dependsOn: ['database'] }),
    foreground: Flags.boolean({ description: 'run the project node in this terminal', default: false }),
    'ws-listener-address': Flags.string({ description: 'HOST:PORT of a WebSocket listener too, for members that reach the project only over HTTP(S) (plain ws: put a TLS reverse proxy in front for wss)' }),
    'ws-route': Flags.string({ description: 'route members use to reach that listener, e.g. through a proxy: /dns/HOST/tcp/443/wss/path/PATH (default: the listener itself, /ip4/../tcp/../ws)', dependsOn: ['ws-listener-address'] }),
    'udp-listener-address': Flags.string({ description: 'IP:PORT of a UDP listener too: members may reach the project over UDP (enroll --udp), and it is where direct paths between members are arranged' }),
    ...metricsFlags,
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectCreate);
    const home = this.home;
    const name = args.name;
    const metrics = metricsEndpointFromFlags(flags);
    const project = await prepareProject(home, {
      name, listen: flags.listen, ...(metrics ? { metrics } : {}), ...(flags.identity !== undefined ? { identity: flags.identity } : {}),
      ...(flags.database !== undefined ? { database: flags.database } : {}),
      ...(flags.vault !== undefined ? { vault: flags.vault } : {}),
      ...(flags['key-type'] !== undefined ? { keyType: flags['key-type'] as 'ed25519' | 'p256' } : {}),
      ...(flags['database-password-file'] !== undefined ? { databasePasswordFile: flags['database-password-file'] } : {}),
      ...(flags['ws-listener-address'] !== undefined ? { wsListen: flags['ws-listener-address'] } : {}),
      ...(flags['ws-route'] !== undefined ? { wsRoute: flags['ws-route'] } : {}),
      ...(flags['udp-listener-address'] !== undefined ? { udpListen: flags['udp-listener-address'] } : {}),
    });
    const info = await launchNode(home, name, { foreground: flags.foreground, undo: () => undoProject(home, name) });
    if (info === undefined) return undefined;
    const { membership, error: joinError } = await joinProject(home, name);
    const { admin, adminNode, route, wsRoute, udpRoute, database } = project;
    this.log(`Project ${name} created; ${admin.name} (${admin.identifier}) is its admin`);
    this.log(fields([
      ['project node', `${name} (pid ${info.pid})`],
      ['route', route],
      ...(wsRoute === undefined ? [] : [['ws route', wsRoute] as [string, string]]),
      ...(udpRoute === undefined ? [] : [['udp route', udpRoute] as [string, string]]),
      ['authority', project.authorityIdentifier],
      ['authority key', `vault ${project.authorityVault}`],
      ['storage', database ? 'postgres' : 'sqlite'],
      ...(info.metricsAddress !== undefined ? [['metrics', `http://${info.metricsAddress}/metrics`] as [string, string]] : []),
      ['admin node', adminNode],
      ['admin credential', membership?.credentialExpiresAt ? `valid until ${membership.credentialExpiresAt}` : `none (${joinError ?? 'not issued'})`],
    ]));
    return {
      name, route, wsRoute: wsRoute ?? null, udpRoute: udpRoute ?? null, authority: project.authorityIdentifier, admin: admin.identifier, adminNode, node: name, pid: info.pid,
      tcpListenerAddress: info.tcpListenerAddress, wsListenerAddress: info.wsListenerAddress ?? null,
      udpListenerAddress: info.udpListenerAddress ?? null, metrics: info.metricsAddress ?? null,
      storage: database ? 'postgres' : 'sqlite', authorityVault: project.authorityVault,
      credentialExpiresAt: membership?.credentialExpiresAt ?? null, ...(joinError ? { credentialError: joinError } : {}),
    };
  }
}
