import { verifyCredential, type PresentedCredential } from '../../core/credential/credential.js';
import { sha256 } from '../../core/cbor.js';
import { Identity } from '../../core/identity/identity.js';
import { nowSeconds } from '../../core/identity/seconds.js';
import { local } from '../../core/routing/address.js';
import { AuthorityClient } from '../../authority/client/authority-client.js';
import type { FetchedCredential } from '../../authority/services/wire-records.js';
import type { DaemonContext } from './service.js';
import type { ProjectRecord } from '../home/project-registry.js';

/**
 * The daemon side of a project membership: an AuthorityClient over the node's channel to
 * the project node (the channel manager's, shared with relays and inlets; its responder
 * must be the project's authority) that only accepts replies from that authority.
 */
export class ProjectSession {
  constructor(private readonly ctx: DaemonContext, readonly project: ProjectRecord) {}

  /** A client for the authority services, over an open channel. Throws IoError at once when the project node cannot be reached. */
  async client(options: { signal?: AbortSignal } = {}): Promise<AuthorityClient> {
    const channel = await this.ctx.channels.toProject(this.project, options);
    // A call in flight when the channel closes fails at once (and is retried over a new one).
    return new AuthorityClient(this.ctx.node, [local(channel.address)], {
      authority: this.project.authorityIdentifier, channelClosed: this.ctx.channels.closedSignal(channel),
    });
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
