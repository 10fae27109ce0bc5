import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { DecisionCounts } from '../../policy/decision-counts.js';
import { DenialLog } from '../../policy/denial-log.js';
import { PolicyEnforcement } from '../../policy/policy-enforcement.js';
import { FilePolicyStore } from '../../policy/policy-store-file.js';
import type { TrustScope } from '../../policy/trust-scope.js';
import type { Home } from '../home/home.js';

/** Options of {@link NodePolicy.open}. */
export interface NodePolicyOptions {
  readonly home: Home;
  /** The node's name. */
  readonly node: string;
  readonly logger: Logger;
  /** The node's current trust scope (see NodeCredentials.trust). */
  readonly trust: () => TrustScope;
  readonly signal?: AbortSignal;
}

/**
 * What a node allows: its policy store (`nodes/<name>/policies.json`), its denial log, and
 * its one enforcement point. Every check in the daemon is `accessControl` (a worker
 * address) or `authorize` (a one-shot check) of this object, with a resource type and,
 * where the default differs, a named default rule (policy/default-rules.ts).
 */
export class NodePolicy extends PolicyEnforcement {
  /** The node's policies. */
  readonly policies: FilePolicyStore;
  /** Denials: logged on the node logger, kept and counted. */
  readonly denials: DenialLog;
  /** Decisions by resource type, allowed and denied (for the node's metrics). */
  readonly decisions: DecisionCounts;

  private constructor(options: NodePolicyOptions, policies: FilePolicyStore, denials: DenialLog, decisions: DecisionCounts) {
    super({ node: options.node, policies, denials, decisions, trust: options.trust });
    this.policies = policies;
    this.denials = denials;
    this.decisions = decisions;
  }

  /** Loads the node's policy store. */
  static async open(options: NodePolicyOptions): Promise<NodePolicy> {
    const policies = await FilePolicyStore.open(join(options.home.node(options.node).dir, 'policies.json'), options.signal ? { signal: options.signal } : {});
    return new NodePolicy(options, policies, new DenialLog({ logger: options.logger }), new DecisionCounts());
  }
}
