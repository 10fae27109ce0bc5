/**
 * What a user would pick instead of a portal, measured in the same rounds as raw TCP and
 * the portals, between the same Node client and sink:
 * - `ssh`: client -> `ssh -L` -> a throw-away sshd on 127.0.0.1 (run as the current user,
 *   temp host key and user key, cipher aes256-gcm@openssh.com) -> sink;
 * - `stunnel`: client -> stunnel (client side) -> TLS 1.3, mutual auth with throw-away
 *   certificates -> stunnel (server side) -> sink.
 * A tool that is not installed, or a tunnel that cannot be brought up, is reported in
 * `skipped` with the reason; everything started here stops with `stop()` or the run.
 * Keys and certificates live in a temp dir, deleted on `stop()` or exit.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseHostPort } from '../core/transport/host-port.js';
import { descendantPids } from './support/cpu-usage.js';
import type { CpuProcess } from './support/cpu-usage.js';
import { freePort, probeEcho, runTool, startTool, tail } from './support/external-process.js';
import type { ToolProcess } from './support/external-process.js';
import {
  COMPARISON_LABELS, leafExtensions, locateTools, opensslRuns, searchDirs, sshArgs, sshKeygenRuns, sshdConfig, stunnelConfig,
} from './support/tunnel-config.js';
import type { ComparisonName } from './support/tunnel-config.js';

/** The comparison tunnels that are up. */
export interface ComparisonPaths {
  /** Entry address (`127.0.0.1:PORT`) of each tunnel that is up, by name. */
  readonly paths: Partial<Record<ComparisonName, string>>;
  /** The tunnel's own processes of each path (client and sink not included), for CPU figures. */
  readonly processes: Partial<Record<ComparisonName, readonly CpuProcess[]>>;
  /** Why a comparison is not measured, by its report label. */
  readonly skipped: Record<string, string>;
  stop(): Promise<void>;
}

/** How long a tunnel may take to come up on a loaded machine. */
const READY_MS = 30_000;

interface Tunnel {
  readonly address: string;
  readonly processes: readonly CpuProcess[];
  readonly tools: readonly ToolProcess[];
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

/** Stops `tools` in order (the entry side first, so the far side sees its peer go). */
async function stopAll(tools: readonly ToolProcess[]): Promise<void> {
  for (const t of tools) await t.stop();
}

/** Why one of `tools` exited early, for probeEcho. */
function exitedReason(tools: readonly ToolProcess[]): string | undefined {
  const gone = tools.find((t) => t.hasExited());
  return gone ? `${gone.name} exited (${String(gone.exitStatus())}): ${tail(gone.output()) || 'no output'}` : undefined;
}

/** Starts the sshd; as root, creates the privilege separation dir it asks for (what its service unit does) once. */
async function startSshd(bin: string, dir: string, user: string): Promise<{ sshd: ToolProcess; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writePrivate(config, sshdConfig({ dir, port, user }));
    const sshd = startTool('sshd', bin, ['-D', '-e', '-f', config]);
    try {
      await sshd.waitFor(/Server listening on/, READY_MS);
      return { sshd, port };
    } catch (error) {
      await sshd.stop();
      const privsep = /Missing privilege separation directory: (\/\S+)/.exec(sshd.output())?.[1];
      if (attempt === 0 && privsep && process.getuid?.() === 0 && !existsSync(privsep)) {
        mkdirSync(privsep, { recursive: true, mode: 0o755 });
        continue;
      }
      // The port may have been taken between freePort and the bind: one more try.
      if (attempt < 2 && /Address already in use/.test(sshd.output())) continue;
      throw error;
    }
  }
}

async function startSshTunnel(bins: Record<string, string>, dir: string, sink: string): Promise<Tunnel> {
  const user = userInfo().username;
  for (const args of sshKeygenRuns(dir)) await runTool('ssh-keygen', bins['ssh-keygen']!, args);
  writePrivate(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub'), 'utf8'));
  const { sshd, port } = await startSshd(bins.sshd!, dir, user);
  const { host, port: sinkPort } = parseHostPort(sink, { what: 'sink' });
  let ssh: ToolProcess | undefined;
  try {
    const localPort = await freePort();
    ssh = startTool('ssh', bins.ssh!, sshArgs({ dir, sshdPort: port, localPort, targetHost: host, targetPort: sinkPort, user }));
    const address = `127.0.0.1:${localPort}`;
    await probeEcho(address, READY_MS, () => exitedReason([ssh!, sshd]));
    // The connection's session processes (forked by the listening sshd) carry the data.
    const sshdPids = [sshd.pid, ...descendantPids(sshd.pid)];
    return {
      address,
      processes: [{ label: 'ssh', pid: ssh.pid }, ...sshdPids.map((pid) => ({ label: 'sshd', pid }))],
      tools: [ssh, sshd],
    };
  } catch (error) {
    await stopAll([...(ssh ? [ssh] : []), sshd]);
    throw error;
  }
}

async function startStunnelTunnel(bins: Record<string, string>, dir: string, sink: string): Promise<Tunnel> {
  writePrivate(join(dir, 'server.ext'), leafExtensions('server'));
  writePrivate(join(dir, 'client.ext'), leafExtensions('client'));
  for (const args of opensslRuns(dir)) await runTool('openssl', bins.openssl!, args);
  const [tlsPort, entryPort] = [await freePort(), await freePort()];
  const tlsAddress = `127.0.0.1:${tlsPort}`;
  const address = `127.0.0.1:${entryPort}`;
  writePrivate(join(dir, 'stunnel-server.conf'), stunnelConfig({ dir, side: 'server', accept: tlsAddress, connect: sink }));
  writePrivate(join(dir, 'stunnel-client.conf'), stunnelConfig({ dir, side: 'client', accept: address, connect: tlsAddress }));
  const server = startTool('stunnel (server side)', bins.stunnel!, [join(dir, 'stunnel-server.conf')]);
  const client = startTool('stunnel (client side)', bins.stunnel!, [join(dir, 'stunnel-client.conf')]);
  try {
    await probeEcho(address, READY_MS, () => exitedReason([client, server]));
    return {
      address,
      // stunnel runs a thread per connection: count the time of those that ended too.
      processes: [{ label: 'stunnel-client', pid: client.pid, endedThreads: true }, { label: 'stunnel-server', pid: server.pid, endedThreads: true }],
      tools: [client, server],
    };
  } catch (error) {
    await stopAll([client, server]);
    throw error;
  }
}

const STARTERS: Readonly<Record<ComparisonName, (bins: Record<string, string>, dir: string, sink: string) => Promise<Tunnel>>> = {
  ssh: startSshTunnel,
  stunnel: startStunnelTunnel,
};

/** Brings up every installed comparison tunnel in front of `sink` (`HOST:PORT`). */
export async function startComparisonPaths(sink: string): Promise<ComparisonPaths> {
  const root = mkdtempSync(join(tmpdir(), 'symbolon-bench-cmp-'));
  const removeRoot = (): void => rmSync(root, { recursive: true, force: true });
  process.once('exit', removeRoot);
  const paths: ComparisonPaths['paths'] = {};
  const processes: ComparisonPaths['processes'] = {};
  const skipped: Record<string, string> = {};
  const tools: ToolProcess[] = [];
  await Promise.all((['ssh', 'stunnel'] as const).map(async (name) => {
    const found = locateTools(name, searchDirs(process.env.PATH), existsSync);
    if ('missing' in found) {
      skipped[COMPARISON_LABELS[name]] = found.missing;
      return;
    }
    const dir = join(root, name);
    mkdirSync(dir, { mode: 0o700 });
    try {
      const tunnel = await STARTERS[name](found.bins, dir, sink);
      paths[name] = tunnel.address;
      processes[name] = tunnel.processes;
      tools.push(...tunnel.tools);
    } catch (error) {
      skipped[COMPARISON_LABELS[name]] = `could not start: ${error instanceof Error ? error.message : String(error)}`;
    }
  }));
  return {
    paths, processes, skipped,
    stop: async () => {
      await stopAll(tools);
      removeRoot();
      process.off('exit', removeRoot);
    },
  };
}
