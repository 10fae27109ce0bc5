import { describe, expect, it } from 'vitest';
import { buildRows } from './report-rows.js';
import type { BenchResults } from './report-rows.js';
import { renderTable, ratioOf } from './report.js';
import type { PathFigures } from './measure-path.js';
import { median } from './measure-path.js';

function figures(mbPerSecond: number, perSecond: number): PathFigures {
  return {
    bulk: { mbPerSecond, runs: [mbPerSecond], bytesPerRun: 1 },
    roundTrips: { perSecond, roundTrips: perSecond, seconds: 1, medianMicros: Math.round(1e6 / perSecond), p99Micros: Math.round(2e6 / perSecond) },
  };
}

describe('benchmark report', () => {
  it('judges portal figures by their ratio to raw TCP from the same run', () => {
    const results: BenchResults = {
      errors: {},
      throughput: {
        raw: { direct: figures(1000, 10_000), forwarded: figures(600, 5_000) },
        portal: {
          paths: { plain: figures(500, 4_000), channel: figures(450, 4_400), relay: figures(290, 3_100) },
          missing: {},
        },
      },
    };
    const rows = buildRows(results);
    const row = (figure: string) => rows.find((r) => r.figure === figure)!;
    expect(row('bulk, portal, one secure channel')).toMatchObject({ ratio: 0.45, verdict: 'pass' });
    expect(row('bulk, portal through a relay (3 channels)')).toMatchObject({ ratio: 0.29, verdict: 'miss' });
    expect(row('64 B round trips, portal, one secure channel')).toMatchObject({ ratio: 0.44, verdict: 'miss' });
    expect(row('64 B round trips, portal through a relay (3 channels)')).toMatchObject({ ratio: 0.31, verdict: 'pass' });
    expect(row('bulk, portal, no channel (context)')).toMatchObject({ ratio: 0.5, verdict: '-' });
    expect(row('bulk, raw TCP through a TCP forwarder')).toMatchObject({ ratio: 0.6, verdict: '-' });
  });

  it('shows ssh -L and stunnel as ratios to raw TCP, and says which were skipped and why', () => {
    const rows = buildRows({
      errors: {},
      throughput: {
        raw: { direct: figures(1000, 10_000) },
        comparisons: [{ label: 'ssh -L (OpenSSH, aes256-gcm@openssh.com)', figures: figures(350, 3_500) }],
        skipped: { 'stunnel (TLS 1.3, AES-256-GCM, mutual auth)': 'not installed: stunnel (stunnel4)' },
        portal: { paths: { channel: figures(450, 4_400) }, missing: {} },
      },
    });
    const row = (figure: string) => rows.find((r) => r.figure === figure);
    expect(row('bulk, ssh -L (OpenSSH, aes256-gcm@openssh.com)')).toMatchObject({ value: '350 MB/s', ratio: 0.35, target: '', verdict: '-' });
    expect(row('64 B round trips, ssh -L (OpenSSH, aes256-gcm@openssh.com)')).toMatchObject({ ratio: 0.35, verdict: '-' });
    for (const kind of ['bulk', '64 B round trips']) {
      expect(row(`${kind}, stunnel (TLS 1.3, AES-256-GCM, mutual auth)`)).toMatchObject({
        value: 'skipped: not installed: stunnel (stunnel4)', verdict: '-',
      });
    }
    // Comparisons come after the raw baseline and before the portals.
    const names = rows.map((r) => r.figure);
    expect(names.indexOf('bulk, ssh -L (OpenSSH, aes256-gcm@openssh.com)')).toBeGreaterThan(names.indexOf('bulk, raw TCP client -> sink (baseline)'));
    expect(names.indexOf('bulk, ssh -L (OpenSSH, aes256-gcm@openssh.com)')).toBeLessThan(names.indexOf('bulk, portal, one secure channel'));
  });

  it('lists every figure that was not measured, with the reason', () => {
    const rows = buildRows({
      errors: { throughput: 'sink would not start', handshakes: 'listener missing' },
      policy: { expression: 'true', decisionsPerSecond: 400_000, nsPerDecision: 2500, accessControlDecisionsPerSecond: 500_000, accessControlNsPerDecision: 2000 },
    });
    const missing = rows.filter((r) => r.verdict === 'missing').map((r) => r.value);
    expect(missing).toContain('not measured: sink would not start');
    expect(missing).toContain('not measured: listener missing');
    expect(missing).toContain('not measured: not run');
    expect(rows.filter((r) => r.figure.startsWith('policy')).map((r) => r.verdict)).toEqual(['miss', 'pass']);
  });

  it('renders an aligned table and computes ratios and medians', () => {
    const text = renderTable([
      { figure: 'a', value: '1 MB/s', ratio: 1, target: '', verdict: '-' },
      { figure: 'longer figure', value: '1,000 MB/s', ratio: 0.456, target: '>= 0.45 x raw', verdict: 'pass' },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]!.indexOf('1 MB/s') + 6).toBe(lines[3]!.indexOf('1,000 MB/s') + 10);
    expect(lines[3]).toContain('0.46');
    expect(ratioOf(1, 0)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
