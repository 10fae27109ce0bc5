import { Args, Flags } from '@oclif/core';
import { AlreadyExistsError, InvalidInputError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { DEFAULT_NODE_NAME } from '../../../node/client/ensure-node.js';
import { fields } from '../../format.js';
import { validateNodeName } from '../../../node/home/home.js';
import { defaultIdentityName, ensureIdentity, loadIdentity } from '../../../node/home/identity-registry.js';
import { NodeConfigFile } from '../../../node/home/node-config.js';
import { createNode, deleteNode, launchNode } from '../../../node/client/node-lifecycle.js';
import { configuredNodeIdentity, setConfiguredNodeIdentity } from '../../../node/daemon/node-security.js';
import { setAcceptUnauthenticated } from '../../../node/daemon/services/secure-channels.js';
import { callProjectNode, ensureRunning } from '../../../node/client/project-setup.js';
import { AUTHORITY_SECTION, routeForListener, validateDatabaseUrl, type AuthoritySection } from '../../../node/home/project-node.js';
import { deleteProject, projectNames, readProject, writeProject, type ProjectRecord } from '../../../node/home/project-registry.js';
import type { MembershipView } from '../../../node/api/project-views.js';

/** `symbolon project create NAME --listen HOST:PORT`: starts a project node and makes the caller its admin. */
export default class ProjectCreate extends BaseCommand {
  static override summary = 'Create a project: a node running the authority and a relay service.';
  static override description = `Creates node NAME (its identity, NAME-authority, is the project's authority) listening on --listen, with the authority services (tickets, enrollment, credentials, members, audit log; SQLite in the node folder, or Postgres with --database) and a relay service, and starts it in the background (--foreground: in this terminal). The creator's identity (--identity, default the home's default identity) becomes the project's first admin; the home records the project so later commands find it, and the admin's node fetches its credential.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> bank --listen 127.0.0.1:4000',
    '<%= config.bin %> <%= command.id %> bank --listen 0.0.0.0:4000 --database postgres://authority@db/bank',
  ];
  static override args = { name: Args.string({ description: 'project name (also the project node name)', required: true }) };
  static override flags = {
    listen: Flags.string({ description: 'HOST:PORT the project node listens on (members connect here)', required: true }),
    identity: Flags.string({ description: 'identity that becomes the admin (default: the home default identity)' }),
    database: Flags.string({ description: 'postgres://... URL for the authority state (default: SQLite in the node folder)' }),
    foreground: Flags.boolean({ description: 'run the project node in this terminal', default: false }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ProjectCreate);
    const home = this.home;
    const name = validateNodeName(args.name);
    if (name.length > 50) throw new InvalidInputError('cli', 'project names have at most 50 characters');
    if (projectNames(home).includes(name)) throw new AlreadyExistsError('cli', `project '${name}' already exists`);
    if (home.hasNode(name)) throw new AlreadyExistsError('cli', `node '${name}' already exists; choose another project name`);
    const route = routeForListener(flags.listen);
    if (/\/tcp\/0$/.test(route)) throw new InvalidInputError('cli', '--listen needs a fixed port: members reach the project at it');
    const database = flags.database === undefined ? undefined : validateDatabaseUrl(flags.database);

    // The admin acts through a node running its identity: the default node, or one named after --identity.
    const admin = await ensureIdentity(home, flags.identity);
    let adminNode = home.defaultNode() ?? DEFAULT_NODE_NAME;
    const runsAs = home.hasNode(adminNode) ? configuredNodeIdentity(home, adminNode) ?? defaultIdentityName(home) : defaultIdentityName(home);
    if (runsAs !== admin.name) {
      adminNode = validateNodeName(admin.name);
      if (!home.hasNode(adminNode)) {
        createNode(home, adminNode);
        setConfiguredNodeIdentity(home, adminNode, admin.name);
      } else if ((configuredNodeIdentity(home, adminNode) ?? defaultIdentityName(home)) !== admin.name) {
        throw new InvalidInputError('cli', `node '${adminNode}' does not run identity '${admin.name}'`);
      }
    }
    await ensureRunning(home, adminNode);

    const authorityName = `${name}-authority`;
    await ensureIdentity(home, authorityName);
    const authority = loadIdentity(home, authorityName).identity;
    createNode(home, name, { tcpListenerAddress: flags.listen });
    const section: AuthoritySection = { project: name, route, admin: admin.identifier, ...(database ? { database } : {}) };
    try {
      setConfiguredNodeIdentity(home, name, authorityName);
      setAcceptUnauthenticated(home, name, true);
      new NodeConfigFile(home, name).setSection(AUTHORITY_SECTION, section);
      const { identifier, changeHistory } = authority.toJSON();
      const record: ProjectRecord = {
        version: 1, name, route, authority: { identifier, changeHistory }, authorityIdentifier: identifier,
        role: 'admin', node: adminNode, createdAt: new Date().toISOString(),
      };
      writeProject(home, record);
    } catch (err) {
      await deleteNode(home, name);
      throw err;
    }
    const info = await launchNode(home, name, {
      foreground: flags.foreground,
      undo: async () => {
        await deleteNode(home, name);
        deleteProject(home, name);
      },
    });
    if (info === undefined) return undefined;
    let membership: MembershipView | undefined;
    let joinError: string | undefined;
    try {
      membership = await callProjectNode(home, readProject(home, name), 'project.join', { project: name });
    } catch (err) {
      joinError = err instanceof Error ? err.message : String(err);
    }
    this.log(`Project ${name} created; ${admin.name} (${admin.identifier}) is its admin`);
    this.log(fields([
      ['project node', `${name} (pid ${info.pid})`],
      ['route', route],
      ['authority', authority.identifier],
      ['storage', database ? 'postgres' : 'sqlite'],
      ['admin node', adminNode],
      ['admin credential', membership?.credentialExpiresAt ? `valid until ${new Date(membership.credentialExpiresAt).toISOString()}` : `none (${joinError ?? 'not issued'})`],
    ]));
    return {
      name, route, authority: authority.identifier, admin: admin.identifier, adminNode, node: name, pid: info.pid,
      tcpListenerAddress: info.tcpListenerAddress, storage: database ? 'postgres' : 'sqlite',
      credentialExpiresAt: membership?.credentialExpiresAt ?? null, ...(joinError ? { credentialError: joinError } : {}),
    };
  }
}
