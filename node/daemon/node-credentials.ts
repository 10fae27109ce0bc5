import { AttributeStore } from '../../core/credential/attribute-store.js';
import { verifyCredential, type PresentedCredential, type VerifiedCredential } from '../../core/credential/credential.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Identity } from '../../core/identity/identity.js';
import { nowSeconds } from '../../core/identity/seconds.js';
import type { Logger } from '../../core/logger.js';
import { NO_TRUST, type TrustScope } from '../../policy/trust-scope.js';
import type { Home } from '../home/home.js';
import { NodeConfigFile } from '../home/node-config.js';
import { nodeTrust, projectsOfNode, recordCredential } from '../home/node-projects.js';
import { AUTHORITY_SECTION, readAuthoritySection } from '../home/project-node.js';
import { projectCredential, type ProjectRecord } from '../home/project-registry.js';

/** Options of {@link NodeCredentials}. */
export interface NodeCredentialsOptions {
  readonly home: Home;
  /** The node's name. */
  readonly node: string;
  /** The node's identity: the subject of its credential (and, on a project node, its project's authority). */
  readonly identity: Identity;
  readonly logger: Logger;
}

/**
 * What vouches for a node and whom it believes: its credential (from its own project's
 * authority), the authorities it trusts (its own project's, plus those its `trust` setting
 * names; never every project of the home) and what they said about peers (the attribute
 * store its secure channels fill). The node's credential is kept in its project record
 * through node-projects.ts, the one writer of project files.
 */
export class NodeCredentials {
  /** Verified peer attributes (secure channels put, enforcement reads them through PeerInfo). */
  readonly attributes = new AttributeStore();
  private readonly home: Home;
  private readonly node: string;
  private readonly identity: Identity;
  private readonly logger: Logger;
  private readonly listeners = new Set<(credential: PresentedCredential | undefined) => void>();
  private scope: TrustScope = NO_TRUST;
  private authorities: ReadonlyMap<string, Identity> = new Map();
  private authorityIds: readonly string[] = [];
  private current: PresentedCredential | undefined;

  constructor(options: NodeCredentialsOptions) {
    this.home = options.home;
    this.node = options.node;
    this.identity = options.identity;
    this.logger = options.logger;
    this.reload();
  }

  /**
   * Re-reads the node's projects: its trust, and its credential when its project record holds
   * a different one than the node has (after an enrollment by the CLI, or a restart).
   */
  reload(): void {
    try {
      const section = readAuthoritySection(new NodeConfigFile(this.home, this.node).section(AUTHORITY_SECTION));
      const trust = nodeTrust(this.home, this.node, section ? { project: section.project, authority: this.identity } : undefined);
      this.scope = trust.scope;
      this.authorities = trust.authorities;
      this.authorityIds = Object.freeze([...trust.authorities.keys()]);
      if (trust.missing.length > 0) this.logger.warn({ projects: trust.missing }, 'trusted projects not held by this home (or their authority no longer verifies); they grant no trust');
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the projects this node trusts');
    }
    try {
      const project = this.ownProject();
      const stored = project ? projectCredential(project) : undefined;
      if (stored && !sameCredential(stored, this.current)) this.notify(stored);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the node credential from its project');
    }
  }

  /** The trust scope policies decide in (changes on reload). */
  trust(): TrustScope {
    return this.scope;
  }

  /** Trusted authorities by identifier: the node's own project's, plus its `trust` setting's. */
  trustedAuthorities(): ReadonlyMap<string, Identity> {
    return this.authorities;
  }

  /** Identifiers of the trusted authorities. */
  trustedAuthorityIdentifiers(): readonly string[] {
    return this.authorityIds;
  }

  /** The node's current credential from its project's authority, if it holds one. */
  credential(): PresentedCredential | undefined {
    return this.current;
  }

  /** The node's credential verified against the trusted authorities, or undefined (none, or not valid now). */
  verifiedCredential(now: number = nowSeconds()): VerifiedCredential | undefined {
    if (!this.current) return undefined;
    try {
      return verifyCredential(this.current, { subject: this.identity.identifier, trustedIssuers: this.authorities, now });
    } catch {
      return undefined;
    }
  }

  /**
   * Accepts a credential the node fetched from `project`'s authority: kept in that project's
   * record and, when it is the node's own project, presented from now on (listeners are told).
   */
  accept(project: string, credential: PresentedCredential | undefined): void {
    if (credential !== undefined && (!(credential.credential instanceof Uint8Array) || !(credential.attestation instanceof Uint8Array))) {
      throw new InvalidInputError('credential', 'a credential needs credential and attestation bytes');
    }
    recordCredential(this.home, project, credential);
    if (this.ownProject()?.name === project) this.notify(credential);
  }

  /** Calls `listener` with each new credential; returns a function that unsubscribes. */
  onCredential(listener: (credential: PresentedCredential | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Forgets the listeners. */
  close(): void {
    this.listeners.clear();
  }

  /** The project whose credential the node presents: the one its record names (the first by name, for a home from before one project per node). */
  private ownProject(): ProjectRecord | undefined {
    return projectsOfNode(this.home, this.node)[0];
  }

  private notify(credential: PresentedCredential | undefined): void {
    this.current = credential;
    for (const listener of [...this.listeners]) {
      try {
        listener(credential);
      } catch (err) {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'credential listener failed');
      }
    }
  }
}

function sameCredential(a: PresentedCredential, b: PresentedCredential | undefined): boolean {
  return b !== undefined && Buffer.from(a.credential).equals(b.credential) && Buffer.from(a.attestation).equals(b.attestation);
}
