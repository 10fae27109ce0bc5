import { fileURLToPath } from 'node:url';

/**
 * The command line that runs the node daemon: `process.execPath` with
 * `dist/node/daemon/node-main.js` when running from the build, or with `--import tsx` and
 * `node/daemon/node-main.ts` when running from sources. With `foreground`, the node also
 * writes its log to the terminal (stdout) besides the node's log file.
 */
export function daemonCommand(homeRoot: string, name: string, { foreground = false }: { foreground?: boolean } = {}): { command: string; args: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSources ? '../daemon/node-main.ts' : '../daemon/node-main.js', import.meta.url));
  const loader = fromSources ? ['--import', import.meta.resolve('tsx')] : [];
  return { command: process.execPath, args: [...loader, '--no-warnings', entry, '--home', homeRoot, '--name', name, ...(foreground ? ['--foreground'] : [])] };
}
