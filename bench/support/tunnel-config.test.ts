import { describe, expect, it } from 'vitest';
import {
  COMPARISON_LABELS, SSH_CIPHER, STUNNEL_SERVER_NAME, TLS_CIPHERSUITE, leafExtensions, locateTools, opensslRuns, searchDirs,
  sshArgs, sshKeygenRuns, sshdConfig, stunnelConfig,
} from './tunnel-config.js';
import { parentPidOf, statCpuSeconds } from './cpu-usage.js';
import { GUARD_SCRIPT, tail } from './external-process.js';

/** `Key value` lines of an sshd_config, as a map. */
function directives(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
}

/** `key = value` lines of a stunnel config, as a map (section headers and blank lines left out). */
function settings(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
  }));
}

describe('comparison tunnels: ssh -L', () => {
  it('configures a loopback-only sshd with temp keys, public-key login of one user and one cipher', () => {
    const d = directives(sshdConfig({ dir: '/tmp/x', port: 2222, user: 'alice' }));
    expect(d.get('ListenAddress')).toBe('127.0.0.1:2222');
    expect(d.get('HostKey')).toBe('/tmp/x/host_key');
    expect(d.get('AuthorizedKeysFile')).toBe('/tmp/x/authorized_keys');
    expect(d.get('AllowUsers')).toBe('alice');
    expect(d.get('PasswordAuthentication')).toBe('no');
    expect(d.get('KbdInteractiveAuthentication')).toBe('no');
    expect(d.get('AllowTcpForwarding')).toBe('local');
    expect(d.get('Ciphers')).toBe(SSH_CIPHER);
    expect(d.get('PidFile')).toBe('none');
    expect(SSH_CIPHER).toBe('aes256-gcm@openssh.com');
  });

  it('forwards a local port to the sink with the temp key, no user config and a temp known_hosts', () => {
    const args = sshArgs({ dir: '/tmp/x', sshdPort: 2222, localPort: 4000, targetHost: '127.0.0.1', targetPort: 5000, user: 'alice' });
    const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    expect(after('-F')).toBe('/dev/null');
    expect(after('-L')).toBe('127.0.0.1:4000:127.0.0.1:5000');
    expect(after('-p')).toBe('2222');
    expect(after('-l')).toBe('alice');
    expect(after('-i')).toBe('/tmp/x/user_key');
    expect(after('-c')).toBe(SSH_CIPHER);
    expect(args).toContain('-N');
    const options = args.filter((_, i) => args[i - 1] === '-o');
    expect(options).toEqual(expect.arrayContaining([
      'StrictHostKeyChecking=no', 'UserKnownHostsFile=/tmp/x/known_hosts', 'BatchMode=yes', 'ExitOnForwardFailure=yes', 'IdentitiesOnly=yes',
    ]));
    expect(args.at(-1)).toBe('127.0.0.1');
  });

  it('makes a host key and a user key without passphrase in the temp dir', () => {
    const runs = sshKeygenRuns('/tmp/x');
    expect(runs.map((r) => r[r.indexOf('-f') + 1])).toEqual(['/tmp/x/host_key', '/tmp/x/user_key']);
    for (const r of runs) expect(r[r.indexOf('-N') + 1]).toBe('');
  });
});

describe('comparison tunnels: stunnel', () => {
  it('runs both sides in the foreground, TLS 1.3 with one suite, each requiring and verifying the peer certificate', () => {
    for (const side of ['client', 'server'] as const) {
      const s = settings(stunnelConfig({ dir: '/tmp/y', side, accept: '127.0.0.1:1', connect: '127.0.0.1:2' }));
      expect(s.get('foreground')).toBe('yes');
      expect(s.get('pid')).toBe('');
      expect(s.get('accept')).toBe('127.0.0.1:1');
      expect(s.get('connect')).toBe('127.0.0.1:2');
      expect(s.get('cert')).toBe(`/tmp/y/${side}.pem`);
      expect(s.get('key')).toBe(`/tmp/y/${side}.key`);
      expect(s.get('CAfile')).toBe('/tmp/y/ca.pem');
      expect(s.get('requireCert')).toBe('yes');
      expect(s.get('verifyChain')).toBe('yes');
      expect(s.get('sslVersionMin')).toBe('TLSv1.3');
      expect(s.get('sslVersionMax')).toBe('TLSv1.3');
      expect(s.get('ciphersuites')).toBe(TLS_CIPHERSUITE);
      expect(s.get('client')).toBe(side === 'client' ? 'yes' : undefined);
      expect(s.get('checkHost')).toBe(side === 'client' ? STUNNEL_SERVER_NAME : undefined);
    }
  });

  it('makes a CA, then a key, request and CA-signed certificate for each side, with its own extensions', () => {
    const runs = opensslRuns('/tmp/y');
    expect(runs.map((r) => r[0])).toEqual(['req', 'req', 'x509', 'req', 'x509']);
    expect(runs[0]).toEqual(expect.arrayContaining(['-x509', '-out', '/tmp/y/ca.pem', 'basicConstraints=critical,CA:TRUE']));
    for (const [i, side] of [[2, 'server'], [4, 'client']] as const) {
      const r = runs[i]!;
      expect(r[r.indexOf('-CA') + 1]).toBe('/tmp/y/ca.pem');
      expect(r[r.indexOf('-extfile') + 1]).toBe(`/tmp/y/${side}.ext`);
      expect(r[r.indexOf('-out') + 1]).toBe(`/tmp/y/${side}.pem`);
    }
    expect(leafExtensions('server')).toContain(`DNS:${STUNNEL_SERVER_NAME}`);
    expect(leafExtensions('server')).toContain('serverAuth');
    expect(leafExtensions('client')).not.toContain(STUNNEL_SERVER_NAME);
    expect(leafExtensions('client')).toContain('CA:FALSE');
  });
});

describe('comparison tunnels: tools and processes', () => {
  it('finds tools on PATH and in sbin, and names the missing ones with their package', () => {
    const dirs = searchDirs('/opt/bin:/usr/bin');
    expect(dirs.slice(0, 2)).toEqual(['/opt/bin', '/usr/bin']);
    expect(dirs).toContain('/usr/sbin');
    expect(dirs.filter((d) => d === '/usr/bin')).toHaveLength(1);
    const installed = new Set(['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/bin/stunnel4']);
    expect(locateTools('ssh', dirs, (p) => installed.has(p))).toEqual({
      bins: { sshd: '/usr/sbin/sshd', ssh: '/usr/bin/ssh', 'ssh-keygen': '/usr/bin/ssh-keygen' },
    });
    expect(locateTools('stunnel', dirs, (p) => installed.has(p))).toEqual({ missing: 'not installed: openssl (openssl)' });
    expect(locateTools('ssh', dirs, () => false)).toEqual({
      missing: 'not installed: sshd (openssh-server), ssh (openssh-client), ssh-keygen (openssh-client)',
    });
    expect(COMPARISON_LABELS.ssh).toContain('aes256-gcm');
  });

  it('reads the parent pid from /proc stat text, whatever the command name holds', () => {
    expect(parentPidOf('4065 (sshd) S 4046 4065 4065 0 -1')).toBe(4046);
    expect(parentPidOf('77 (a) b (c)) R 12 77 77 0 -1')).toBe(12);
    expect(parentPidOf('garbage')).toBeUndefined();
    // utime 250 + stime 50 ticks of 10 ms (fields 14 and 15).
    expect(statCpuSeconds('9 (stunnel4) S 1 9 9 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0')).toBe(3);
    expect(statCpuSeconds('nonsense')).toBeNaN();
  });

  it('guards each tool with a watcher on its stdin and keeps one-line errors short', () => {
    expect(GUARD_SCRIPT).toContain('exec "$@"');
    expect(GUARD_SCRIPT).toContain('kill -9');
    expect(tail('a\nb\nc\nd\n')).toBe('b | c | d');
  });
});
