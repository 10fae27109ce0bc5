import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { formatRoute } from '../../../core/routing/route.js';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { parseDuration } from '../../format.js';
import { parseRouteInHome } from '../../../node/client/node-routes.js';

/** `symbolon message send --to ROUTE TEXT`: sends a message from a node and prints the reply. */
export default class MessageSend extends BaseCommand {
  static override summary = 'Send a message along a route and print the reply.';
  static override description = `Sends TEXT from a node (--from, default: the home's default node, created and started when missing) along the route --to and prints the reply. Routes: /service/NAME (a worker on the sending node), /ip4/A.B.C.D/tcp/PORT (a TCP hop), /node/NAME (the TCP listener of a node of this home); segments concatenate, e.g. /node/n2/node/n3/service/echo.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --to /service/echo hello',
    '<%= config.bin %> <%= command.id %> --from n1 --to /node/n2/service/echo hello',
    '<%= config.bin %> <%= command.id %> --from n1 --to /ip4/127.0.0.1/tcp/4000/service/echo hello --timeout 5s',
  ];
  static override args = { text: Args.string({ description: 'the message', required: true }) };
  static override flags = {
    from: Flags.string({ description: 'node that sends the message (default: the default node)' }),
    to: Flags.string({ description: 'route to the receiver, e.g. /node/n2/service/echo', required: true }),
    timeout: Flags.string({ description: 'how long to wait for the reply (500ms, 10s, 2m)', default: '10s' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MessageSend);
    const home = this.home;
    const timeoutMs = parseDuration(flags.timeout);
    const route = parseRouteInHome(home, flags.to);
    if (route.length === 0) throw new InvalidInputError('routing', 'route is empty');
    const { node: name, result } = await callNode(home, flags.from, 'message.send',
      { to: formatRoute(route), text: args.text, timeoutMs }, { timeoutMs: timeoutMs + 5000 });
    this.log(result.reply);
    return { from: name, to: flags.to, ...result };
  }
}
