import type { DaemonService } from '../service.js';
import { authorityService } from './authority.js';
import { decisionLogService } from './decisions.js';
import { echoService } from './echo.js';
import { messageService } from './message.js';
import { nodeInfoService } from './node-info.js';
import { memberPoliciesService } from './member-policies.js';
import { policyService } from './policy.js';
import { projectMembershipService } from './project-membership.js';
import { securityService } from './security.js';
import { secureChannelsService } from './secure-channels.js';
import { tcpOutletsService } from './tcp-outlets.js';
import { tcpInletsService } from './tcp-inlets.js';
import { kafkaInletsService } from './kafka-inlets.js';
import { kafkaOutletsService } from './kafka-outlets.js';
import { relaysService } from './relays.js';
import { revocationsService } from './revocations.js';
import { directPathsService } from './direct-paths.js';

/**
 * The services every node daemon runs, started in this order. A new capability adds its
 * file under services/ and one entry here.
 */
export const daemonServices: readonly DaemonService[] = [
  nodeInfoService,
  decisionLogService,
  echoService,
  messageService,
  securityService,
  revocationsService,
  policyService,
  secureChannelsService,
  directPathsService,
  tcpOutletsService,
  tcpInletsService,
  kafkaOutletsService,
  kafkaInletsService,
  relaysService,
  memberPoliciesService,
  authorityService,
  projectMembershipService,
];
