import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT, alive, cleanupHome, recordedPids, type CliResult } from '../../support/cli.js';

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(command: string, args: readonly string[], { timeoutMs = 60_000, env = {} }: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: REPO_ROOT, timeout: timeoutMs, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${command} ${args.join(' ')} did not finish: ${error.message}`));
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** Runs a command and throws (naming it and its output) on a non-zero exit. */
async function must(command: string, args: readonly string[]): Promise<string> {
  const r = await run(command, args);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Why network namespaces cannot be used here (not root, no `ip` or `nft`, no namespace
 * support), or undefined when they can: probed by creating and deleting one.
 */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const tool of ['ip', 'nft']) if (spawnSync(tool, ['-V']).error !== undefined) return `'${tool}' is not installed (iproute2, nftables)`;
  const probe = `symprobe${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe]);
  if (added.status !== 0) return `ip netns add failed: ${added.stderr.toString().trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** The actors of the scenario, each in its own namespace. */
export type Site = 'internet' | 'bank' | 'analysis';

/**
 * Five network namespaces for one test run (unique names): `internet` (the project node,
 * public address `publicIp` on its loopback), and for bank and analysis a host namespace on
 * a private LAN behind a gateway namespace that masquerades (NAT) outgoing connections to
 * the internet and drops every connection coming in from it (nftables). Bank and
 * analysis LANs are 192.168.10.0/24 and 192.168.20.0/24; the gateways' public addresses
 * are `gatewayIp.bank` and `gatewayIp.analysis`.
 */
export class ClosedNetworks {
  /** The project node's address, reachable from both gateways. */
  readonly publicIp = '10.77.0.1';
  readonly gatewayIp = { bank: '10.77.1.2', analysis: '10.77.2.2' } as const;
  readonly lanIp = { bank: '192.168.10.2', analysis: '192.168.20.2' } as const;
  /** Namespace names (unique per run). */
  readonly ns: Readonly<Record<Site | 'bankGateway' | 'analysisGateway', string>>;
  /** One SYMBOLON_HOME per site. */
  readonly homes: Readonly<Record<Site, string>>;
  /** Folder of the homes and helper files. */
  readonly root: string;
  private readonly seenPids = new Set<number>();
  private readonly created: string[] = [];
  private readonly id: string;

  private constructor() {
    this.id = randomBytes(3).toString('hex');
    const name = (what: string): string => `sym-${this.id}-${what}`;
    this.ns = { internet: name('inet'), bank: name('bank'), analysis: name('anl'), bankGateway: name('bgw'), analysisGateway: name('agw') };
    this.root = mkdtempSync(join(tmpdir(), 'sym-netns-'));
    const homes = {} as Record<Site, string>;
    for (const site of ['internet', 'bank', 'analysis'] as const) {
      homes[site] = join(this.root, site);
      mkdirSync(homes[site], { mode: 0o700 });
    }
    this.homes = homes;
  }

  /** Builds the namespaces, links, addresses, routes and firewalls. On failure, removes what it made. */
  static async create(): Promise<ClosedNetworks> {
    const lab = new ClosedNetworks();
    try {
      await lab.build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  private async build(): Promise<void> {
    const { ns } = this;
    for (const name of Object.values(ns)) {
      await must('ip', ['netns', 'add', name]);
      this.created.push(name);
      await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    }
    await must('ip', ['-n', ns.internet, 'addr', 'add', `${this.publicIp}/32`, 'dev', 'lo']);
    // veth names live in the root namespace until moved: unique per run, at most 15 characters.
    const link = async (a: string, aName: string, aIp: string, b: string, bName: string, bIp: string): Promise<void> => {
      await must('ip', ['link', 'add', aName, 'type', 'veth', 'peer', 'name', bName]);
      await must('ip', ['link', 'set', aName, 'netns', a]);
      await must('ip', ['link', 'set', bName, 'netns', b]);
      await must('ip', ['-n', a, 'addr', 'add', aIp, 'dev', aName]);
      await must('ip', ['-n', b, 'addr', 'add', bIp, 'dev', bName]);
      await must('ip', ['-n', a, 'link', 'set', aName, 'up']);
      await must('ip', ['-n', b, 'link', 'set', bName, 'up']);
    };
    const v = (what: string): string => `v${this.id}${what}`;
    await link(ns.internet, v('ib'), '10.77.1.1/24', ns.bankGateway, v('bw'), `${this.gatewayIp.bank}/24`);
    await link(ns.internet, v('ia'), '10.77.2.1/24', ns.analysisGateway, v('aw'), `${this.gatewayIp.analysis}/24`);
    await link(ns.bankGateway, v('bl'), '192.168.10.1/24', ns.bank, v('bh'), `${this.lanIp.bank}/24`);
    await link(ns.analysisGateway, v('al'), '192.168.20.1/24', ns.analysis, v('ah'), `${this.lanIp.analysis}/24`);
    await must('ip', ['-n', ns.bank, 'route', 'add', 'default', 'via', '192.168.10.1']);
    await must('ip', ['-n', ns.analysis, 'route', 'add', 'default', 'via', '192.168.20.1']);
    await must('ip', ['-n', ns.bankGateway, 'route', 'add', 'default', 'via', '10.77.1.1']);
    await must('ip', ['-n', ns.analysisGateway, 'route', 'add', 'default', 'via', '10.77.2.1']);
    // The internet knows only the gateways' public addresses (directly connected): no route to
    // either LAN. It routes between the gateways, as the internet does (direct paths use it).
    await must('ip', ['netns', 'exec', ns.internet, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    for (const [gateway, wan, lan] of [[ns.bankGateway, v('bw'), v('bl')], [ns.analysisGateway, v('aw'), v('al')]] as const) {
      await must('ip', ['netns', 'exec', gateway, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      const rules = `
table inet nat_${this.id} {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "${wan}" masquerade; }
}
table inet filter_${this.id} {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "${lan}" oifname "${wan}" accept
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iifname "lo" accept
    iifname "${lan}" accept
  }
}
`;
      const file = join(this.root, `${gateway}.nft`);
      writeFileSync(file, rules);
      await must('ip', ['netns', 'exec', gateway, 'nft', '-f', file]);
    }
  }

  /** Runs `command args` inside site `site`'s namespace. */
  exec(site: Site, command: string, args: readonly string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
    return run('ip', ['netns', 'exec', this.ns[site], command, ...args], options);
  }

  /** Runs `symbolon ...args` inside `site`'s namespace with its home; node processes it starts stay there. */
  async cli(site: Site, args: readonly string[], { timeoutMs = 90_000 } = {}): Promise<CliResult> {
    const result = await this.exec(site, process.execPath, [CLI_BIN, ...args], { timeoutMs, env: { SYMBOLON_HOME: this.homes[site], NODE_ENV: 'production' } });
    this.notePids();
    return result;
  }

  /** Like {@link cli}; throws with the command and its output on a non-zero exit. */
  async ok(site: Site, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
    const r = await this.cli(site, args, options);
    if (r.code !== 0) throw new Error(`[${site}] symbolon ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  }

  /** Makes `site`'s gateway drop every UDP datagram it would forward, both ways (ahead of its other rules). */
  async dropUdp(site: 'bank' | 'analysis'): Promise<void> {
    const gateway = site === 'bank' ? this.ns.bankGateway : this.ns.analysisGateway;
    await must('ip', ['netns', 'exec', gateway, 'nft', 'insert', 'rule', 'inet', `filter_${this.id}`, 'forward', 'meta', 'l4proto', 'udp', 'drop']);
  }

  /** Writes a file in the run's folder and returns its path. */
  writeFile(name: string, content: string | Uint8Array): string {
    const path = join(this.root, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  /** Stops every node of every home, kills what is left, deletes the namespaces and the folder. Safe to call twice. */
  async destroy(): Promise<void> {
    this.notePids();
    await Promise.all((['internet', 'bank', 'analysis'] as const).map((site) => cleanupHome(this.homes[site], [...this.seenPids]).catch(() => undefined)));
    for (const pid of this.seenPids) {
      if (alive(pid)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    for (const name of this.created.splice(0).reverse()) {
      // Processes still inside (a helper the test started) go first, then the namespace and its links.
      const pids = spawnSync('ip', ['netns', 'pids', name]).stdout?.toString().split(/\s+/).filter(Boolean).map(Number) ?? [];
      for (const pid of pids) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      spawnSync('ip', ['netns', 'del', name]);
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private notePids(): void {
    for (const site of ['internet', 'bank', 'analysis'] as const) for (const pid of recordedPids(this.homes[site])) this.seenPids.add(pid);
  }
}
