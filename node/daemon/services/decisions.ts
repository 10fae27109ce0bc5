import { decisionLogDir } from '../../home/decision-log-files.js';
import { NodeDecisionLog } from '../decision-log.js';
import type { DaemonService } from '../service.js';

/**
 * The node's decisions on the record (see decision-log.ts): opens the hash-chained log in
 * `nodes/<name>/decisions/`, keeps every denial of the node's enforcement point in it (so
 * `policy denials` reads what survives a restart) and every persisted policy change with
 * who made it. Started before the services that attach access controls.
 */
export const decisionLogService: DaemonService = {
  name: 'decisions',
  start(ctx) {
    const log = NodeDecisionLog.open({ dir: decisionLogDir(ctx.home, ctx.name), node: ctx.name, logger: ctx.logger });
    const { denials, policies } = ctx.policy;
    denials.attach(log);
    const stopPolicies = policies.onChange((change) => log.recordPolicyChange(change));
    ctx.onStop(() => {
      stopPolicies();
      denials.attach(undefined);
      log.close();
    });
  },
};
