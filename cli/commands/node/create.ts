import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { validateNodeName } from '../../../node/home/home.js';
import { DEFAULT_NODE_NAME } from '../../../node/client/ensure-node.js';
import { DEFAULT_TCP_LISTENER, GC_MODES } from '../../../node/home/node-config.js';
import { createNode, deleteNode, launchNode } from '../../../node/client/node-lifecycle.js';
import { fields } from '../../format.js';
import { NODE_LIMITS, parseNodeLimits } from '../../../node/home/node-limits.js';
import { readIdentityRecord } from '../../../node/home/identity-registry.js';
import { setConfiguredNodeIdentity, setConfiguredTrust } from '../../../node/home/node-security-config.js';
import { DEFAULT_LOG_LIMITS, formatLogSize, parseLogFiles, parseLogSize } from '../../../node/home/log-limits.js';
import { metricsEndpointFromFlags, metricsFlags } from '../../metrics-flags.js';

/** `symbolon node create [NAME]`: creates a node and starts it in the background. */
export default class NodeCreate extends BaseCommand {
  static override summary = 'Create a node and start it in the background.';
  static override description = `Creates a node in the home (SYMBOLON_HOME, default ~/.symbolon) and starts it as a background process with a TCP listener and an echo service. Its log and pid are kept under <home>/nodes/<name>/; the log is rotated by size (node.log, node.log.1, ...) within --log-max-size per file and --log-max-files files. The home's first node becomes its default node. With --foreground the node runs in this terminal until Ctrl-C (for containers). With --metrics HOST:PORT it serves Prometheus metrics at /metrics and health at /healthz and /readyz (see docs/operations.md).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> n1',
    '<%= config.bin %> <%= command.id %> n2 --tcp-listener-address 127.0.0.1:4000',
    '<%= config.bin %> <%= command.id %> hop --allow-tcp-forwarding 127.0.0.1:4100',
    '<%= config.bin %> <%= command.id %> hub --tcp-listener-address 0.0.0.0:4000 --ws-listener-address 127.0.0.1:4080',
    '<%= config.bin %> <%= command.id %> edge --udp-listener-address 0.0.0.0:4000',
    '<%= config.bin %> <%= command.id %> edge --foreground',
    '<%= config.bin %> <%= command.id %> bank --identity bank',
    '<%= config.bin %> <%= command.id %> edge --log-max-size 10MB --log-max-files 5',
    '<%= config.bin %> <%= command.id %> edge --metrics 127.0.0.1:9464',
  ];
  static override args = {
    name: Args.string({ description: `node name (default: ${DEFAULT_NODE_NAME})`, required: false }),
  };
  static override flags = {
    'tcp-listener-address': Flags.string({ description: 'HOST:PORT the node listens on (port 0 picks a free port)', default: DEFAULT_TCP_LISTENER }),
    'ws-listener-address': Flags.string({ description: 'HOST:PORT of a WebSocket listener too (plain ws; put a TLS reverse proxy in front for wss)' }),
    'udp-listener-address': Flags.string({ description: 'IP:PORT of a UDP listener too (reliable streams over UDP; direct paths through NATs use it)' }),
    'allow-tcp-forwarding': Flags.string({
      description: 'HOST:PORT other nodes may route messages to through this node (repeat for more; none by default: the node is no proxy)',
      multiple: true,
    }),
    limit: Flags.string({
      description: `a bound on what peers may make the node hold, NAME=VALUE (repeatable); NAME: ${Object.entries(NODE_LIMITS).map(([n, l]) => `${n} (default ${l.default})`).join(', ')}`,
      multiple: true,
    }),
    foreground: Flags.boolean({ description: 'run the node in this terminal instead of the background', default: false }),
    identity: Flags.string({ description: "identity the node runs as (default: the home's default identity)" }),
    'log-max-size': Flags.string({ description: `size of one log file before it is rotated, e.g. 10MB (KB, MB, GB; default ${formatLogSize(DEFAULT_LOG_LIMITS.maxSize)})` }),
    'log-max-files': Flags.integer({ description: `log files kept, the current one included (default ${DEFAULT_LOG_LIMITS.maxFiles})`, min: 1, max: 1000 }),
    gc: Flags.string({
      description: 'garbage collection of the node process: single-threaded (best on small machines), parallel, or auto (single-threaded up to 4 CPUs)',
      options: [...GC_MODES],
      default: 'auto',
    }),
    trust: Flags.string({
      description: 'also trust the authority of this project of the home (repeatable; default: only the node\'s own project). Only policies that name subject.project see its members\' attributes',
      multiple: true,
    }),
    ...metricsFlags,
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NodeCreate);
    const home = this.home;
    const name = validateNodeName(args.name ?? DEFAULT_NODE_NAME);
    if (flags.identity !== undefined) readIdentityRecord(home, flags.identity);
    const log = flags['log-max-size'] === undefined && flags['log-max-files'] === undefined ? undefined : {
      maxSize: flags['log-max-size'] === undefined ? DEFAULT_LOG_LIMITS.maxSize : parseLogSize(flags['log-max-size']),
      maxFiles: flags['log-max-files'] === undefined ? DEFAULT_LOG_LIMITS.maxFiles : parseLogFiles(flags['log-max-files']),
    };
    const metrics = metricsEndpointFromFlags(flags);
    const config = createNode(home, name, {
      tcpListenerAddress: flags['tcp-listener-address'], allowTcpForwarding: flags['allow-tcp-forwarding'] ?? [], limits: parseNodeLimits(flags.limit ?? []),
      ...(log ? { log } : {}), gc: flags.gc as (typeof GC_MODES)[number], ...(metrics ? { metrics } : {}),
      ...(flags['ws-listener-address'] === undefined ? {} : { wsListenerAddress: flags['ws-listener-address'] }),
      ...(flags['udp-listener-address'] === undefined ? {} : { udpListenerAddress: flags['udp-listener-address'] }),
    });
    if (flags.identity !== undefined) setConfiguredNodeIdentity(home, name, flags.identity);
    if (flags.trust !== undefined) setConfiguredTrust(home, name, flags.trust);
    const info = await launchNode(home, name, { foreground: flags.foreground, undo: async () => { await deleteNode(home, name); } });
    if (info === undefined) return undefined;
    const isDefault = home.defaultNode() === name;
    this.log(`Node ${name} created and started`);
    this.log(fields([
      ['pid', String(info.pid)],
      ['tcp listener', info.tcpListenerAddress],
      ...(info.wsListenerAddress === undefined ? [] : [['ws listener', info.wsListenerAddress] as [string, string]]),
      ...(info.udpListenerAddress === undefined ? [] : [['udp listener', info.udpListenerAddress] as [string, string]]),
      ['control socket', info.controlSocket],
      ...(info.metricsAddress !== undefined ? [['metrics', `http://${info.metricsAddress}/metrics`] as [string, string]] : []),
      ['default node', isDefault ? 'yes' : 'no'],
    ]));
    return {
      name, status: info.status, pid: info.pid, isDefault,
      tcpListenerAddress: info.tcpListenerAddress, configuredTcpListenerAddress: config.tcpListenerAddress,
      wsListenerAddress: info.wsListenerAddress ?? null,
      udpListenerAddress: info.udpListenerAddress ?? null,
      controlSocket: info.controlSocket, log: home.node(name).log, metrics: info.metricsAddress ?? null,
    };
  }
}
