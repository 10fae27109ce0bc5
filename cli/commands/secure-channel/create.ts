import { Flags } from '@oclif/core';
import { formatRoute } from '../../../core/routing/route.js';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { parseRouteInHome } from '../../../node/client/node-routes.js';

/** `symbolon secure-channel create --from NODE --to ROUTE`: opens a secure channel and prints its address. */
export default class SecureChannelCreate extends BaseCommand {
  static override summary = 'Open a secure channel from a node to a secure channel listener.';
  static override description = 'Opens a Noise XX secure channel from --from (default: the default node) to the listener at the end of --to (a node\'s listener is /service/api, e.g. /node/n2/service/api). Prints the channel address; route through the channel with /secure/ADDRESS/..., e.g. message send --to /secure/ADDRESS/service/echo.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from n1 --to /node/n2/service/api',
    '<%= config.bin %> <%= command.id %> --to /ip4/10.0.0.5/tcp/4000/service/api --json',
  ];
  static override flags = {
    from: Flags.string({ description: 'node that opens the channel (default: the default node)' }),
    to: Flags.string({ description: 'route to the listener, e.g. /node/n2/service/api', required: true }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(SecureChannelCreate);
    const home = this.home;
    const route = parseRouteInHome(home, flags.to);
    const { node: name, result: channel } = await callNode(home, flags.from, 'secure-channel.create', { to: formatRoute(route) }, { timeoutMs: 20_000 });
    this.log(channel.address);
    return { node: name, ...channel };
  }
}
