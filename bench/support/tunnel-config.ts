/**
 * Configuration of the comparison tunnels `npm run bench` measures next to the portals
 * (see bench/comparisons.ts), as pure functions: the throw-away sshd's config and the
 * `ssh -L` command line (OpenSSH, cipher aes256-gcm@openssh.com), the two stunnel configs
 * (TLS 1.3 with TLS_AES_256_GCM_SHA384, mutual auth against a throw-away CA), the
 * `openssl` and `ssh-keygen` commands that make their keys, and where the tools are.
 */
import { join } from 'node:path';

/** The comparison paths, by name (the key in the JSON's `comparisons` and process lists). */
export type ComparisonName = 'ssh' | 'stunnel';

/** What each comparison row is called in the report. */
export const COMPARISON_LABELS: Readonly<Record<ComparisonName, string>> = {
  ssh: 'ssh -L (OpenSSH, aes256-gcm@openssh.com)',
  stunnel: 'stunnel (TLS 1.3, AES-256-GCM, mutual auth)',
};

/** The SSH cipher of the ssh row (both ends offer only this one). */
export const SSH_CIPHER = 'aes256-gcm@openssh.com';
/** The TLS 1.3 cipher suite of the stunnel row (both ends offer only this one). */
export const TLS_CIPHERSUITE = 'TLS_AES_256_GCM_SHA384';
/** Names in the throw-away certificates (the client checks the server's). */
export const STUNNEL_SERVER_NAME = 'bench-stunnel-server';
export const STUNNEL_CLIENT_NAME = 'bench-stunnel-client';

/** The binaries each comparison needs, with the Debian package that has them. */
export const COMPARISON_TOOLS: Readonly<Record<ComparisonName, ReadonlyArray<{ readonly names: readonly string[]; readonly pkg: string }>>> = {
  ssh: [
    { names: ['sshd'], pkg: 'openssh-server' },
    { names: ['ssh'], pkg: 'openssh-client' },
    { names: ['ssh-keygen'], pkg: 'openssh-client' },
  ],
  stunnel: [
    { names: ['stunnel', 'stunnel4'], pkg: 'stunnel4' },
    { names: ['openssl'], pkg: 'openssl' },
  ],
};

/** Where to look for binaries: PATH, then the sbin folders (sshd is rarely on a user's PATH). */
export function searchDirs(path: string | undefined): string[] {
  const dirs = (path ?? '').split(':').filter((d) => d !== '');
  for (const d of ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin']) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

/**
 * The absolute path of every tool `name` needs (sshd insists on one), or the reason it
 * cannot run: `not installed: sshd (openssh-server)`.
 */
export function locateTools(
  name: ComparisonName, dirs: readonly string[], exists: (path: string) => boolean,
): { readonly bins: Record<string, string> } | { readonly missing: string } {
  const bins: Record<string, string> = {};
  const absent: string[] = [];
  for (const tool of COMPARISON_TOOLS[name]) {
    const found = tool.names.flatMap((n) => dirs.map((d) => join(d, n))).find((p) => exists(p));
    if (found) bins[tool.names[0]!] = found;
    else absent.push(`${tool.names[0]} (${tool.pkg})`);
  }
  return absent.length === 0 ? { bins } : { missing: `not installed: ${absent.join(', ')}` };
}

/** Inputs of {@link sshdConfig}. */
export interface SshdConfigOptions {
  /** The temp dir holding the host key and authorized_keys. */
  readonly dir: string;
  readonly port: number;
  /** The only user allowed in (the current one). */
  readonly user: string;
}

/**
 * sshd_config of the throw-away server: 127.0.0.1 only, the temp host key, public-key
 * login of the current user with the temp user key only, local forwarding only, and
 * {@link SSH_CIPHER} only.
 */
export function sshdConfig(o: SshdConfigOptions): string {
  return [
    `ListenAddress 127.0.0.1:${o.port}`,
    `HostKey ${join(o.dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(o.dir, 'authorized_keys')}`,
    'PidFile none',
    `AllowUsers ${o.user}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    // The temp dir lies under /tmp (world-writable), which StrictModes would refuse.
    'StrictModes no',
    'AllowTcpForwarding local',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTTY no',
    'Compression no',
    `Ciphers ${SSH_CIPHER}`,
    'LogLevel INFO',
    '',
  ].join('\n');
}

/** Inputs of {@link sshArgs}. */
export interface SshArgsOptions {
  readonly dir: string;
  /** The sshd's port on 127.0.0.1. */
  readonly sshdPort: number;
  /** The local port `-L` listens on (127.0.0.1). */
  readonly localPort: number;
  /** Where the sshd connects each forwarded connection: the sink. */
  readonly targetHost: string;
  readonly targetPort: number;
  readonly user: string;
}

/**
 * `ssh -N -L ...` to the throw-away sshd with the temp user key, no user or system
 * config (`-F /dev/null`), no agent, host key accepted and remembered in the temp dir.
 */
export function sshArgs(o: SshArgsOptions): string[] {
  const opt = (s: string): string[] => ['-o', s];
  return [
    '-F', '/dev/null', '-N', '-T',
    '-L', `127.0.0.1:${o.localPort}:${o.targetHost}:${o.targetPort}`,
    '-p', String(o.sshdPort), '-l', o.user, '-i', join(o.dir, 'user_key'), '-c', SSH_CIPHER,
    ...opt('IdentitiesOnly=yes'), ...opt('IdentityAgent=none'), ...opt('BatchMode=yes'),
    ...opt('StrictHostKeyChecking=no'), ...opt(`UserKnownHostsFile=${join(o.dir, 'known_hosts')}`),
    ...opt('ExitOnForwardFailure=yes'), ...opt('Compression=no'), ...opt('LogLevel=ERROR'),
    '127.0.0.1',
  ];
}

/** The `ssh-keygen` runs that make the host key and the user key (ed25519, no passphrase). */
export function sshKeygenRuns(dir: string): string[][] {
  return ['host_key', 'user_key'].map((f) => ['-q', '-t', 'ed25519', '-N', '', '-C', `symbolon-bench-${f}`, '-f', join(dir, f)]);
}

/** Inputs of {@link stunnelConfig}. */
export interface StunnelConfigOptions {
  readonly dir: string;
  /** `client`: plain TCP in, TLS out; `server`: TLS in, plain TCP out. */
  readonly side: 'client' | 'server';
  /** `HOST:PORT` it listens on. */
  readonly accept: string;
  /** `HOST:PORT` it connects each connection to. */
  readonly connect: string;
}

/**
 * One stunnel's config: foreground (so the bench owns the process), no pid file,
 * warnings only, TLS 1.3 only with {@link TLS_CIPHERSUITE}, the side's certificate, and
 * the peer's certificate required and verified against the temp CA (the client also
 * checks the server's name).
 */
export function stunnelConfig(o: StunnelConfigOptions): string {
  const file = (f: string): string => join(o.dir, f);
  return [
    'foreground = yes',
    'pid =',
    'debug = 4',
    '',
    '[bench]',
    ...(o.side === 'client' ? ['client = yes'] : []),
    `accept = ${o.accept}`,
    `connect = ${o.connect}`,
    `cert = ${file(`${o.side}.pem`)}`,
    `key = ${file(`${o.side}.key`)}`,
    `CAfile = ${file('ca.pem')}`,
    'requireCert = yes',
    'verifyChain = yes',
    ...(o.side === 'client' ? [`checkHost = ${STUNNEL_SERVER_NAME}`] : []),
    'sslVersionMin = TLSv1.3',
    'sslVersionMax = TLSv1.3',
    `ciphersuites = ${TLS_CIPHERSUITE}`,
    '',
  ].join('\n');
}

/** The X.509 extensions of a leaf certificate for `side` (its `-extfile`, `DIR/SIDE.ext`). */
export function leafExtensions(side: 'client' | 'server'): string {
  return [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    `extendedKeyUsage = ${side === 'server' ? 'serverAuth' : 'clientAuth'}`,
    `subjectAltName = DNS:${side === 'server' ? STUNNEL_SERVER_NAME : STUNNEL_CLIENT_NAME}`,
    '',
  ].join('\n');
}

/**
 * The `openssl` runs, in order, that make a throw-away CA (P-256, one day) and a server
 * and a client certificate signed by it; each side's {@link leafExtensions} must be in
 * `DIR/SIDE.ext` first.
 */
export function opensslRuns(dir: string): string[][] {
  const file = (f: string): string => join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const runs: string[][] = [[
    'req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=symbolon-bench-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
  ]];
  for (const [side, name] of [['server', STUNNEL_SERVER_NAME], ['client', STUNNEL_CLIENT_NAME]] as const) {
    runs.push(['req', ...ec, '-keyout', file(`${side}.key`), '-out', file(`${side}.csr`), '-subj', `/CN=${name}`]);
    runs.push([
      'x509', '-req', '-in', file(`${side}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-set_serial', side === 'server' ? '1' : '2',
      '-days', '1', '-extfile', file(`${side}.ext`), '-out', file(`${side}.pem`),
    ]);
  }
  return runs;
}
