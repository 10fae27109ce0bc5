import { createSecureChannel } from '../../core/channel/create-secure-channel.js';
import type { SecureChannel } from '../../core/channel/secure-channel.js';
import { verifyCredential, type PresentedCredential } from '../../core/credential/credential.js';
import { sha256 } from '../../core/cbor.js';
import { Identity } from '../../core/identity/identity.js';
import { nowSeconds } from '../../core/identity/seconds.js';
import { local } from '../../core/routing/address.js';
import { AuthorityClient } from '../../authority/client/authority-client.js';
import type { FetchedCredential } from '../../authority/services/wire-records.js';
import { IoError } from '../../core/errors.js';
import type { DaemonContext } from './service.js';
import { CHANNEL_KEEP_ALIVE_MS, nodeChannelOptions } from './services/node-channels.js';
import { PROJECT_LISTENER_ADDRESS } from '../home/project-node.js';
import { answeredByProjectAuthority, type ProjectRecord } from '../home/project-registry.js';

/**
 * The daemon side of a project membership: one secure channel from this node to the
 * project node's listener (opened on demand, reused while open, reopened after it
 * closed), whose responder must be the project's authority; and an AuthorityClient over
 * it that only accepts replies from that authority.
 */
export class ProjectSession {
  private channel: Promise<SecureChannel> | undefined;

  constructor(private readonly ctx: DaemonContext, readonly project: ProjectRecord) {}

  /** A client for the authority services, over an open channel. Throws IoError when the project node cannot be reached. */
  async client(options: { signal?: AbortSignal } = {}): Promise<AuthorityClient> {
    const channel = await this.ensureChannel(options);
    return new AuthorityClient(this.ctx.node, [local(channel.address)], { authority: this.project.authorityIdentifier });
  }

  /** Closes the channel, if open. */
  async close(): Promise<void> {
    const pending = this.channel;
    this.channel = undefined;
    const channel = await pending?.catch(() => undefined);
    await channel?.close();
  }

  private async ensureChannel(options: { signal?: AbortSignal }): Promise<SecureChannel> {
    const cached = await this.channel?.catch(() => undefined);
    if (cached && !cached.isClosed) return cached;
    const opening = this.open(options);
    this.channel = opening;
    opening.catch(() => {
      if (this.channel === opening) this.channel = undefined;
    });
    return opening;
  }

  private async open({ signal }: { signal?: AbortSignal }): Promise<SecureChannel> {
    const { project } = this;
    const route = [...this.ctx.parseRoute(project.route), local(PROJECT_LISTENER_ADDRESS)];
    try {
      return await createSecureChannel(this.ctx.node, route, nodeChannelOptions(this.ctx, {
        keepAliveMs: CHANNEL_KEEP_ALIVE_MS,
        authorize: answeredByProjectAuthority(project),
        ...(signal ? { signal } : {}),
      }));
    } catch (cause) {
      throw new IoError('cli', `cannot reach project '${project.name}' at ${project.route}: ${(cause as Error).message}`, { cause });
    }
  }
}

/** The presented form (what channels carry) of a fetched credential. */
export function presented(credential: FetchedCredential): PresentedCredential {
  return { credential: credential.credential, attestation: credential.attestation };
}

/**
 * A stored credential as the refresher tracks it (times in ms), when it still verifies
 * for `subject` against the project's authority; undefined otherwise (fetch a new one).
 */
export function fetchedFromStored(stored: PresentedCredential, subject: string, project: ProjectRecord): FetchedCredential | undefined {
  try {
    const authority = Identity.fromJSON(project.authority);
    const verified = verifyCredential(stored, { subject, trustedIssuers: new Map([[authority.identifier, authority]]), now: nowSeconds() });
    return {
      credential: stored.credential, attestation: stored.attestation,
      createdAt: verified.createdAt * 1000, expiresAt: verified.expiresAt * 1000,
      credentialHash: Buffer.from(sha256(stored.credential)).toString('hex'),
    };
  } catch {
    return undefined;
  }
}
