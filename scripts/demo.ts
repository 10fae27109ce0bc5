/**
 * `npm run demo`: three background nodes in a temporary home and a message that crosses
 * two TCP hops, n1 -> n2 -> n3's echo service, all through the real `symbolon` binary.
 * Everything it starts is stopped and removed at the end, on failure and on Ctrl-C.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'symbolon-demo-'));

/** Runs `symbolon ...args` in the demo home, echoing the command; rejects on a non-zero exit. */
function symbolon(...args: string[]): Promise<string> {
  process.stdout.write(`\n$ symbolon ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, SYMBOLON_HOME: home } }, (err, stdout, stderr) => {
      process.stdout.write(stdout);
      process.stderr.write(stderr);
      if (err) reject(new Error(`symbolon ${args[0]} ${args[1] ?? ''} failed`));
      else resolve(stdout);
    });
  });
}

let cleaning: Promise<void> | undefined;
/** Deletes every node of the demo home and the home itself (once). */
function cleanup(): Promise<void> {
  cleaning ??= new Promise<void>((resolve) => {
    execFile(process.execPath, [bin, 'node', 'delete', '--all'], { env: { ...process.env, SYMBOLON_HOME: home } }, () => {
      rmSync(home, { recursive: true, force: true });
      resolve();
    });
  });
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write('\nInterrupted: stopping the demo nodes...\n');
    void cleanup().then(() => process.exit(130));
  });
}

try {
  console.log(`Symbolon demo (home: ${home})`);
  console.log('Three nodes, each a background process with a TCP listener and an echo service.');
  await symbolon('node', 'create', 'n1');
  await symbolon('node', 'create', 'n2');
  await symbolon('node', 'create', 'n3');
  await symbolon('node', 'list');
  console.log('\nA message from n1, through n2, to the echo service on n3 (two TCP hops), and back:');
  const reply = await symbolon('message', 'send', '--from', 'n1', '--to', '/node/n2/node/n3/service/echo', 'hello from n1');
  if (reply.trim() !== 'hello from n1') throw new Error(`unexpected reply '${reply.trim()}'`);
  console.log('\nThe reply came back along the return route: n3 -> n2 -> n1.');
  await cleanup();
  console.log('\nDemo finished; all nodes stopped and removed.');
} catch (err) {
  console.error(`\nDemo failed: ${err instanceof Error ? err.message : String(err)}`);
  await cleanup();
  process.exitCode = 1;
}
