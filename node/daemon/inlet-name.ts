import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseHostPort } from '../../core/transport/host-port.js';

/** Hosts that mean every local address: an inlet listening there is reached as any local host. */
const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::']);

/** The addresses `host` stands for: itself when it is an IP address, else what it resolves to (none when it does not). */
async function addressesOf(host: string): Promise<Set<string>> {
  if (isIP(host) !== 0) return new Set([canonicalIp(host)]);
  try {
    return new Set((await lookup(host, { all: true })).map((a) => canonicalIp(a.address)));
  } catch {
    return new Set();
  }
}

/** One spelling per IP address (IPv6 in its shortest lowercase form). */
function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

/**
 * The inlet of `names` (their listen addresses, `HOST:PORT` as the node reports them) that
 * `query` names: the same text, else the inlet on the same port whose host is the same
 * address as `query`'s host (`localhost:15440` finds `127.0.0.1:15440`; `[::1]` and
 * `[0:0::1]` are one address) or a wildcard (`0.0.0.0`, `[::]`). Undefined when none matches.
 */
export async function findInletName(names: Iterable<string>, query: string): Promise<string | undefined> {
  const all = [...names];
  if (all.includes(query)) return query;
  let wanted;
  try {
    wanted = parseHostPort(query, { allowZero: false });
  } catch {
    return undefined;
  }
  const candidates = all.flatMap((name) => {
    try {
      const hp = parseHostPort(name, { allowZero: true });
      return hp.port === wanted.port ? [{ name, host: hp.host }] : [];
    } catch {
      return [];
    }
  });
  if (candidates.length === 0) return undefined;
  const addresses = await addressesOf(wanted.host);
  const same = candidates.find((c) => c.host.toLowerCase() === wanted.host.toLowerCase() || (isIP(c.host) !== 0 && addresses.has(canonicalIp(c.host))));
  return (same ?? candidates.find((c) => WILDCARDS.has(canonicalIp(c.host))))?.name;
}
