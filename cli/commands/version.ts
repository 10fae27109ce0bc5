import { readFileSync } from 'node:fs';
import { BaseCommand } from '../base-command.js';

/** What `symbolon version --json` prints. */
export interface VersionInfo {
  readonly version: string;
  /** The source commit the build was made from, or `unknown` outside a git checkout. */
  readonly commit: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
}

/** The commit recorded at build time (`dist/build-info.json`, written by `npm run build`). */
function buildCommit(): string {
  try {
    const info = JSON.parse(readFileSync(new URL('../../build-info.json', import.meta.url), 'utf8')) as { commit?: unknown };
    return typeof info.commit === 'string' && /^[0-9a-f]{7,40}$/.test(info.commit) ? info.commit : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `symbolon version`: the CLI's version, source commit, Node.js version and platform. */
export default class Version extends BaseCommand {
  static override summary = 'Show the version, source commit, Node.js version and platform.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<VersionInfo> {
    await this.parse(Version);
    const info: VersionInfo = { version: this.config.version, commit: buildCommit(), node: process.versions.node, platform: process.platform, arch: process.arch };
    this.log(`symbolon ${info.version} (${info.commit}) node ${info.node} ${info.platform}-${info.arch}`);
    return info;
  }
}
