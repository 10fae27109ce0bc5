/**
 * Policy decision figures, in process:
 *   node --import tsx bench/policy.ts
 * Decisions per second and nanoseconds per decision for a typical three-clause policy with a
 * compiled, cached expression, through both `decide` and the enforcement point's access control (the path a
 * node takes per message). Prints one JSON line; exports the measurement.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message } from '../core/routing/message.js';
import { decide } from '../policy/decide.js';
import { DenialLog } from '../policy/denial-log.js';
import { PolicyEnforcement } from '../policy/policy-enforcement.js';
import { FilePolicyStore } from '../policy/policy-store-file.js';
import { trustScope } from '../policy/trust-scope.js';

/** What {@link benchPolicyDecisions} measured. */
export interface PolicyBench {
  readonly expression: string;
  readonly decisionsPerSecond: number;
  readonly nsPerDecision: number;
  readonly accessControlDecisionsPerSecond: number;
  readonly accessControlNsPerDecision: number;
}

const EXPRESSION = 'subject.component == "analysis" && subject.env in ["prod", "staging"] && resource.name.startsWith("echo")';

function rate(ms: number, step: () => boolean): number {
  let allowed = 0;
  for (let i = 0; i < 20_000; i++) if (step()) allowed++;
  let runs = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) if (step()) allowed++;
    runs += 1000;
    now = performance.now();
  }
  if (allowed === 0) throw new Error('benchmark policy never allowed');
  return (runs * 1000) / (now - start);
}

/** Measures cached policy decisions for about `durationMs` per path. */
export async function benchPolicyDecisions(durationMs = 1500): Promise<PolicyBench> {
  const dir = await mkdtemp(join(tmpdir(), 'symbolon-bench-policy-'));
  try {
    const store = await FilePolicyStore.open(join(dir, 'policies.json'));
    await store.create({ kind: 'resource-type', type: 'worker' }, EXPRESSION);
    const peer = { identifier: 'Ianalysis', attributes: { component: 'analysis', env: 'prod' }, authority: 'Iauthority', channel: 'enc' };
    const resource = { type: 'worker', name: 'echo', node: 'n1' };
    const now = new Date();
    const trust = trustScope([{ name: 'bank', authority: 'Iauthority', own: true }]);
    const context = { policies: store, trust };
    const perSecond = rate(durationMs, () => decide({ subject: peer, resource, action: 'send', now }, context).allowed);

    const control = new PolicyEnforcement({ node: resource.node, policies: store, trust: () => trust, denials: new DenialLog() }).accessControl(resource, 'send');
    const message: Message = { onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), origin: { via: 'channel', peer } };
    const request = { address: 'echo', direction: 'incoming' as const, message };
    const acPerSecond = rate(durationMs, () => control.isAuthorized(request) === true);
    return {
      expression: EXPRESSION,
      decisionsPerSecond: Math.round(perSecond),
      nsPerDecision: Math.round(1e9 / perSecond),
      accessControlDecisionsPerSecond: Math.round(acPerSecond),
      accessControlNsPerDecision: Math.round(1e9 / acPerSecond),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchPolicyDecisions()));
}
