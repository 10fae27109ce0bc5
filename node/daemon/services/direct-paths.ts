import { DirectPaths } from '../direct-paths.js';
import type { DaemonService } from '../service.js';

/**
 * Direct paths between members (docs/transports.md, "Direct paths"): the `direct-path`
 * worker on every node, which answers offers from peers (unless the node configuration's
 * `direct-paths` section says `accept: false`) and arranges them for inlets with `--direct`.
 */
export const directPathsService: DaemonService = {
  name: 'direct-paths',
  async start(ctx) {
    await DirectPaths.start(ctx);
  },
};
