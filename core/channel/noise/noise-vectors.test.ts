import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runNoiseVectors } from './noise-vectors.js';

type Vector = { protocol_name: string; handshake_hash?: string; messages: { payload: string; ciphertext: string }[] } & Record<string, unknown>;
type VectorFile = { vectors: Vector[]; ockam_vectors: Vector[] };

const shared = JSON.parse(readFileSync(new URL('../../../../shared/vectors/noise-xx.json', import.meta.url), 'utf8')) as VectorFile;
const clone = (): VectorFile => structuredClone(shared);
const flipHexNibble = (s: string, at: number): string => s.slice(0, at) + (s[at] === '0' ? '1' : '0') + s.slice(at + 1);

describe('runNoiseVectors', () => {
  it('passes every shared vector (cacophony, snow, noise-c, ockam) for both AESGCM and ChaChaPoly', () => {
    const report = runNoiseVectors(shared);
    expect(report.failures).toEqual([]);
    expect(report).toMatchObject({ passed: shared.vectors.length + shared.ockam_vectors.length, failed: 0, skipped: 0 });
  });

  it('reports a flipped byte in any handshake or transport ciphertext as failed', () => {
    for (const index of [0, 1, 2, 3, 5]) {
      const file = clone();
      const m = file.vectors[0]!.messages[index]!;
      m.ciphertext = flipHexNibble(m.ciphertext, m.ciphertext.length - 3);
      const report = runNoiseVectors(file);
      expect(report.failed, `message ${index}`).toBe(1);
      expect(report.failures[0]).toMatch(new RegExp(`vectors\\[0\\].*message ${index}`));
      expect(report.passed).toBe(7);
    }
  });

  it('reports a wrong handshake hash, a wrong payload and malformed hex as failed', () => {
    const file = clone();
    file.vectors[0]!.handshake_hash = flipHexNibble(file.vectors[0]!.handshake_hash!, 0);
    file.vectors[1]!.messages[4]!.payload = '00' + file.vectors[1]!.messages[4]!.payload;
    file.ockam_vectors[1]!.messages[0]!.ciphertext = 'zz';
    const report = runNoiseVectors(file);
    expect(report.failed).toBe(3);
    expect(report.failures[0]).toMatch(/handshake_hash differs/);
    expect(report.failures[1]).toMatch(/message 4/);
    expect(report.failures[2]).toMatch(/ockam_vectors\[1\].*not hex/);
  });

  it('skips protocols it does not implement and PSK entries, counting them apart', () => {
    const file = clone();
    file.vectors[0]!.protocol_name = 'Noise_XX_448_AESGCM_SHA512';
    file.vectors[1]!.init_psks = ['00'.repeat(32)];
    const report = runNoiseVectors(file);
    expect(report).toMatchObject({ passed: 6, failed: 0, skipped: 2 });
  });

  it('finds nothing to run in an empty or foreign document', () => {
    expect(runNoiseVectors({})).toMatchObject({ passed: 0, failed: 0, skipped: 0 });
    expect(runNoiseVectors(null)).toMatchObject({ passed: 0, failed: 0, skipped: 0 });
    expect(runNoiseVectors([{ protocol_name: 'Noise_XX_25519_AESGCM_SHA256', messages: [] }])).toMatchObject({ failed: 1 });
  });
});
