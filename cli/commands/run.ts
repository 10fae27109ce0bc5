import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { runSteps } from '../project-steps.js';
import { runAttached } from '../../node/client/attached-node.js';
import { applyHome, applyNode, ensureBackgroundNode, planRun } from '../../node/client/run-apply.js';
import { formatChange, type PlannedChange } from '../../node/client/run-plan.js';
import { formatJsonPath } from '../../node/home/json-schema-check.js';
import { readRunConfig } from '../../node/home/run-config.js';

/** A change as `--json` shows it. */
function changeJson(c: PlannedChange): Record<string, unknown> {
  return { action: c.action, kind: c.kind, name: c.name, ...(c.detail !== undefined ? { detail: c.detail } : {}), ...(c.key ? { key: formatJsonPath(c.key) } : {}) };
}

/** `symbolon run FILE`: brings the home to the state a YAML file describes and runs its node. */
export default class Run extends BaseCommand {
  static override summary = 'Bring the home to the state a YAML file describes, and run its node.';
  static override description = `Reads FILE (- reads standard input): the identity, the node (or a project node), the enrollment, tcp-outlets, tcp-inlets, relays and policies, with keys that mirror the commands' flags and \${VAR} / \${VAR:-default} from the environment (docs/configuration.md; JSON Schema: schemas/symbolon-config.schema.json). The whole file is checked first (a policy is type-checked as policy create does); an error names the file, the key and its line, and changes nothing. Then it creates what is missing, changes what differs and removes from the node what the file no longer lists, printing each change ("no changes" when there is none), and keeps the node running in this terminal (containers, systemd) until SIGTERM or Ctrl-C; with --background the node runs as a background node and the command returns. --dry-run prints the plan and changes nothing.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> analysis.yaml',
    '<%= config.bin %> <%= command.id %> bank.yaml --background',
    '<%= config.bin %> <%= command.id %> analysis.yaml --dry-run',
    'SYMBOLON_ENROLLMENT_TICKET=$(cat bank.ticket) <%= config.bin %> <%= command.id %> - < bank.yaml',
  ];
  static override args = { file: Args.string({ description: 'the run file (YAML), or - for standard input', required: true }) };
  static override flags = {
    background: Flags.boolean({ description: 'run the node in the background and return once the file is applied', default: false }),
    'dry-run': Flags.boolean({ description: 'print what would be created, changed and removed; change nothing', default: false }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Run);
    const home = this.home;
    const config = readRunConfig(args.file);

    if (flags['dry-run']) {
      const plan = await planRun(home, config, runSteps);
      const all = [...plan.home, ...plan.changes];
      this.log(all.length === 0 ? `${config.file}: no changes (node ${plan.node})` : `${config.file}: plan for node ${plan.node}${plan.restart ? ' (restarts it)' : ''}`);
      for (const change of all) this.log(formatChange(change));
      return { file: config.file, node: plan.node, dryRun: true, restart: plan.restart, changes: all.map(changeJson) };
    }

    const made: PlannedChange[] = [];
    const report = (change: PlannedChange): void => {
      made.push(change);
      this.log(formatChange(change));
    };
    const { node, restart, changes: homeChanges } = await applyHome(home, config, runSteps, report);
    const newProject = config.project !== undefined && homeChanges.some((c) => c.kind === 'project');
    const afterStart = async (): Promise<void> => {
      if (newProject) {
        const joinError = await runSteps.joinProject(home, config.project!.name);
        if (joinError !== undefined) this.warn(`the admin's node has no credential yet: ${joinError}`);
      }
      await applyNode(home, node, config, runSteps, report);
      if (made.length === 0) this.log(`${config.file}: no changes (node ${node})`);
    };

    if (flags.background) {
      try {
        await ensureBackgroundNode(home, node, restart);
      } catch (err) {
        if (newProject) await runSteps.undoProject(home, config.project!.name);
        throw err;
      }
      await afterStart();
      return { file: config.file, node, background: true, changes: made.map(changeJson) };
    }
    this.log(`${config.file}: node ${node} runs in the foreground (Ctrl-C or SIGTERM stops it)`);
    try {
      process.exitCode = await runAttached(home, node, { onReady: afterStart });
    } catch (err) {
      if (newProject && !home.hasNode(node)) await runSteps.undoProject(home, config.project!.name);
      throw err;
    }
    return { file: config.file, node, background: false, changes: made.map(changeJson) };
  }
}
