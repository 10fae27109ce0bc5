import { rmSync } from 'node:fs';
import { ApiRegistry } from '../../core/api/api-registry.js';
import { ControlServer } from '../../core/api/control-server.js';
import { AlreadyExistsError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { Node } from '../../core/node/node.js';
import { TCP, UDP, WS, tcp } from '../../core/routing/address.js';
import { TransportSet } from '../../core/transport/transport-set.js';
import { NODE_API } from '../api/node-api.js';
import type { Home } from '../home/home.js';
import { NodeConfigFile } from '../home/node-config.js';
import { transportLimits } from '../home/node-limits.js';
import { parseRouteInHome } from '../client/node-routes.js';
import { clearNodeState, readPid, runningPid, writeNodeState } from '../home/node-state.js';
import { NodeCredentials } from './node-credentials.js';
import { NodeIdentity } from './node-identity.js';
import { NodePolicy } from './node-policy.js';
import { ChannelManager } from './channel-manager.js';
import { credentialStateReader } from './metrics/credential-state.js';
import { HandshakeCounts } from './metrics/handshake-counts.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { projectOfNode } from '../home/project-registry.js';
import type { DaemonContext, DaemonService } from './service.js';
import { daemonServices } from './services/index.js';
import { transportKinds } from './transports.js';

/** Options of a NodeDaemon. */
export interface NodeDaemonOptions {
  readonly home: Home;
  readonly name: string;
  readonly logger: Logger;
  /** The services to run (default: all of services/index.ts). */
  readonly services?: readonly DaemonService[];
}

/**
 * A node process's contents: the Node, its transports (node/daemon/transports.ts) and
 * TCP listener, the control socket and the daemon services, started from the node's persisted configuration. `start` writes the
 * pid and state files; `stop` undoes everything in reverse order and removes them.
 */
export class NodeDaemon {
  private readonly cleanups: Array<() => void | Promise<void>> = [];
  private stopped: Promise<void> | undefined;
  private started = false;

  private constructor(private readonly options: NodeDaemonOptions) {}

  /** Starts the node; on failure, whatever was started is stopped again before the error is thrown. */
  static async start(options: NodeDaemonOptions): Promise<NodeDaemon> {
    const daemon = new NodeDaemon(options);
    try {
      await daemon.run();
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  private async run(): Promise<void> {
    const { home, name, logger } = this.options;
    const config = new NodeConfigFile(home, name);
    const { tcpListenerAddress, allowTcpForwarding, limits, wsListenerAddress, udpListenerAddress, metrics: metricsEndpoint } = config.read();
    const other = runningPid(home, name);
    if (other !== undefined && other !== process.pid) throw new AlreadyExistsError('node', `node '${name}' is already running (pid ${other})`);

    const identity = await NodeIdentity.open({ home, node: name });
    this.cleanups.push(() => identity.close());
    const credentials = new NodeCredentials({ home, node: name, identity: identity.identity, logger });
    this.cleanups.push(() => credentials.close());
    const policy = await NodePolicy.open({ home, node: name, logger, trust: () => credentials.trust() });
    logger.info({
      identity: identity.name, identifier: identity.identifier, vault: identity.keyHandle.vault,
      trust: credentials.trust().projects.map((p) => p.name),
    }, 'security ready');
    const node = new Node({ name, logger, allowForwardingTo: (allowTcpForwarding ?? []).map((d) => tcp(d)) });
    this.cleanups.push(() => node.stop());
    const transports = TransportSet.create(node, transportKinds, transportLimits(limits ?? {}));
    this.cleanups.push(() => transports.stop());
    const listening = await transports.get(TCP).listen(tcpListenerAddress);
    const wsListening = wsListenerAddress === undefined ? undefined : (await transports.get(WS).listen(wsListenerAddress)).address;
    const udpListening = udpListenerAddress === undefined ? undefined : (await transports.get(UDP).listen(udpListenerAddress)).address;
    const parseRoute = (text: string) => parseRouteInHome(home, text);
    const handshakes = new HandshakeCounts();
    const channels = new ChannelManager({ node, transports, identity, credentials, parseRoute, logger, handshakes });
    this.cleanups.push(() => channels.closeAll());

    const controlSocket = home.controlSocketPath(name);
    const control = new ControlServer({ path: controlSocket, logger });
    const startedAt = new Date();
    const metrics = new NodeMetrics(node, transports, {
      name, handshakes,
      denials: () => policy.denials.counts(),
      decisions: () => policy.decisions.entries(),
      credential: credentialStateReader({
        held: () => credentials.credential(),
        verified: () => credentials.verifiedCredential(),
        member: () => {
          try {
            return projectOfNode(home, name) !== undefined;
          } catch {
            return true; // an unreadable project record: the node cannot show it holds what it needs
          }
        },
      }),
    });
    // Served from here on; until the services have started, /readyz answers not ready.
    let metricsAddress: string | undefined;
    if (metricsEndpoint !== undefined) {
      metrics.enableProcessMetrics();
      const server = await MetricsServer.start(metricsEndpoint.listen, metrics, { logger });
      this.cleanups.push(() => server.stop());
      metricsAddress = server.address;
    }
    const ctx: DaemonContext = {
      name, home, node, transports, api: new ApiRegistry(control, NODE_API, 'node'), config, logger, startedAt, controlSocket, identity, credentials, policy, channels, metrics,
      tcpListenerAddress: listening.address,
      ...(wsListening === undefined ? {} : { wsListenerAddress: wsListening }),
      ...(udpListening === undefined ? {} : { udpListenerAddress: udpListening }),
      ...(metricsAddress !== undefined ? { metricsAddress } : {}),
      parseRoute,
      onStop: (step) => { this.cleanups.push(step); },
    };
    for (const service of this.options.services ?? daemonServices) {
      await service.start(ctx);
      logger.debug({ service: service.name }, 'service started');
    }
    metrics.markStarted();
    await control.start();
    this.cleanups.push(() => control.stop());
    writeNodeState(home, name, {
      pid: process.pid, startedAt: startedAt.toISOString(), tcpListenerAddress: listening.address, ...(wsListening === undefined ? {} : { wsListenerAddress: wsListening }), controlSocket,
      ...(udpListening === undefined ? {} : { udpListenerAddress: udpListening }),
      ...(metricsAddress !== undefined ? { metricsAddress } : {}),
    });
    this.cleanups.push(() => {
      if (readPid(home, name) === process.pid) clearNodeState(home, name);
      rmSync(controlSocket, { force: true });
    });
    // Runs first when the node stops: /readyz answers not ready while the rest winds down.
    this.cleanups.push(() => metrics.markStopping());
    this.started = true;
    logger.info({ tcpListenerAddress: listening.address, wsListenerAddress: wsListening, udpListenerAddress: udpListening, controlSocket, ...(metricsAddress !== undefined ? { metricsAddress } : {}) }, 'node started');
  }

  /** Stops services, the control socket, the transport and the node; removes pid and state files. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const step of this.cleanups.reverse()) {
        try {
          await step();
        } catch (err) {
          this.options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'error while stopping');
        }
      }
      if (this.started) this.options.logger.info({}, 'node stopped');
    })();
    return this.stopped;
  }
}
