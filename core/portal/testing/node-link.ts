import { TCP, tcp } from '../../routing/address.js';
import type { Node } from '../../node/node.js';

/**
 * Links nodes in one process as if by TCP, for tests that need no sockets between nodes:
 * node `name` is reached at the TCP hop `name` (`HOST:PORT` form, e.g. `a.test:1`). Each hop
 * pops the TCP address, pushes the sender's name on the return route and marks the
 * message as arriving from TCP (no authenticated peer). `lose`, when given, sees every
 * message first and drops those it returns true for (a lossy path). Returns an unlink function.
 */
export function linkInProcess(nodes: Readonly<Record<string, Node>>, lose?: (from: string, payload: Uint8Array) => boolean): () => void {
  const routers: Array<[Node, (m: Parameters<Node['route']>[0]) => void]> = [];
  for (const [selfName, self] of Object.entries(nodes)) {
    const selfHop = tcp(selfName);
    const router = (message: Parameters<Node['route']>[0]): void => {
      const target = nodes[message.onwardRoute[0]!.value];
      if (lose?.(selfName, message.payload)) return;
      if (!target) {
        self.reportDropped(message, 'no such linked node');
        return;
      }
      target.route({
        onwardRoute: message.onwardRoute.slice(1),
        returnRoute: [selfHop, ...message.returnRoute],
        payload: message.payload,
        origin: { via: 'tcp' },
      });
    };
    self.registerRouter(TCP, router);
    routers.push([self, router]);
  }
  return () => {
    for (const [node, router] of routers) node.unregisterRouter(TCP, router);
  };
}
