import { describe, expect, it } from 'vitest';
import { fields, humanDuration, parseDuration, table } from './format.js';
import { formatLogLine, startupFailureReason } from '../node/home/node-log.js';
import { EXIT_CODES, formatErrorReport, reportError } from './error-output.js';
import { IoError, NotFoundError } from '../core/errors.js';
import { NodeStartError } from '../node/client/node-lifecycle.js';

describe('format helpers', () => {
  it('aligns tables and fields', () => {
    expect(table(['A', 'BB'], [['xyz', '1'], ['p', '22']])).toBe('A    BB\nxyz  1\np    22');
    expect(fields([['pid', '1'], ['tcp listener', 'x']])).toBe('  pid:          1\n  tcp listener: x');
  });

  it('formats and parses durations', () => {
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(125_000)).toBe('2m 5s');
    expect(humanDuration(3_660_000)).toBe('1h 1m');
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration('2m')).toBe(120_000);
    for (const bad of ['', '0', '-1s', 'abc', '10d', '25h']) expect(() => parseDuration(bad)).toThrow(/invalid duration/);
  });

  it('reads a startup failure from JSON log lines', () => {
    const lines = ['{"level":30,"msg":"hi"}', 'plain text', '{"level":50,"err":"address in use","msg":"node failed to start"}', '{"level":30,"msg":"x"}'];
    expect(startupFailureReason(lines)).toBe('address in use');
    expect(startupFailureReason(['{"level":30,"msg":"x"}'])).toBeUndefined();
    expect(formatLogLine('{"level":30,"time":0,"msg":"node started","pid":1,"port":4}')).toBe('1970-01-01T00:00:00.000Z INFO  node started {"port":4}');
    expect(formatLogLine('not json')).toBe('not json');
  });
});

describe('error reports', () => {
  it('maps kinds to exit codes and keeps one line', () => {
    const r = reportError(new NotFoundError('cli', "node 'x' does not exist"));
    expect(r).toEqual({ error: { origin: 'cli', kind: 'not-found', message: "node 'x' does not exist" }, exitCode: 3, details: [], unexpected: false });
    expect(formatErrorReport(r, false)).toBe("Error: node 'x' does not exist\n");
    expect(reportError(new IoError('node', 'down')).exitCode).toBe(EXIT_CODES.io);
  });

  it('treats oclif parse errors as invalid input, first line only', () => {
    const err = Object.assign(new Error('Missing required flag to\nSee more help with --help'), { oclif: { exit: 2 } });
    const r = reportError(err);
    expect(r.error).toEqual({ origin: 'cli', kind: 'invalid', message: 'Missing required flag to (see --help)' });
    expect(r.exitCode).toBe(2);
  });

  it('hints at SYMBOLON_DEBUG for unexpected errors and shows the stack only then', () => {
    const err = new TypeError('x is undefined');
    const r = reportError(err);
    expect(r.exitCode).toBe(1);
    expect(formatErrorReport(r, false, err.stack)).toBe('Error: x is undefined\n(unexpected error: run again with SYMBOLON_DEBUG=1 for details)\n');
    expect(formatErrorReport(r, true, err.stack)).toContain('TypeError: x is undefined\n    at');
  });

  it('shows the log tail of a node that failed to start', () => {
    const r = reportError(new NodeStartError("node 'n1' failed to start: address in use", ['line 1', 'line 2']));
    expect(formatErrorReport(r, false)).toBe("Error: node 'n1' failed to start: address in use\nLast log lines:\n  line 1\n  line 2\n");
  });
});
