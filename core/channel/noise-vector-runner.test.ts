import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './noise-vector-runner.js';

const sharedPath = new URL('../../../shared/vectors/noise-xx.json', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'noise-vectors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = main(args, (l) => lines.push(l));
  return { code, lines };
}

describe('noise-vector-runner', () => {
  it('passes the shared vectors and prints the summary last', () => {
    const { code, lines } = run([sharedPath.pathname]);
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('8 passed, 0 failed, 0 skipped');
  });

  it('exits non-zero on a corrupted vector and names it', () => {
    const json = JSON.parse(readFileSync(sharedPath, 'utf8')) as { vectors: { handshake_hash: string }[] };
    json.vectors[2]!.handshake_hash = '00'.repeat(32);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(json));
    const { code, lines } = run([file]);
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe('7 passed, 1 failed, 0 skipped');
    expect(lines[0]).toMatch(/^FAIL vectors\[2\]/);
  });

  it('exits non-zero when no vector ran, and on a missing file', () => {
    const file = join(dir, 'empty.json');
    writeFileSync(file, JSON.stringify({ vectors: [{ protocol_name: 'Noise_NN_25519_AESGCM_SHA256', messages: [] }] }));
    expect(run([file])).toEqual({ code: 1, lines: ['0 passed, 0 failed, 1 skipped'] });
    expect(run([join(dir, 'missing.json')]).code).toBe(2);
    expect(run([]).code).toBe(2);
  });
});
