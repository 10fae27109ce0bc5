import { fileURLToPath } from 'node:url';

/**
 * The command line that runs the node daemon: `process.execPath` with
 * `dist/cli/daemon/node-main.js` when running from the build, or with `--import tsx` and
 * `cli/daemon/node-main.ts` when running from sources.
 */
export function daemonCommand(homeRoot: string, name: string): { command: string; args: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSources ? './daemon/node-main.ts' : './daemon/node-main.js', import.meta.url));
  const loader = fromSources ? ['--import', import.meta.resolve('tsx')] : [];
  return { command: process.execPath, args: [...loader, '--no-warnings', entry, '--home', homeRoot, '--name', name] };
}
