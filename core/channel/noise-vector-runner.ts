/**
 * Replays a Noise XX test-vector file through the project's handshake and transport:
 *   npm run -s vectors:noise -- FILE
 * Prints each failure, then `N passed, N failed, N skipped` as the last line; exits 1 on
 * any failure or when no vector ran.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { runNoiseVectors, type NoiseVectorReport } from './noise/noise-vectors.js';

export { runNoiseVectors, type NoiseVectorReport };

/** The summary line the runner prints last. */
export function summaryLine(report: NoiseVectorReport): string {
  return `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`;
}

/** Runs the CLI on `args`; returns the exit code. */
export function main(args: readonly string[], out: (line: string) => void = console.log): number {
  const file = args[0];
  if (file === undefined || args.length !== 1) {
    out('usage: noise-vector-runner FILE');
    out('0 passed, 0 failed, 0 skipped');
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    out(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    out('0 passed, 0 failed, 0 skipped');
    return 2;
  }
  const report = runNoiseVectors(json);
  for (const failure of report.failures) out(`FAIL ${failure}`);
  out(summaryLine(report));
  return report.failed > 0 || report.passed === 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
