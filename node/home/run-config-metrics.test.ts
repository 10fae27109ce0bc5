import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from './run-config.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseRunConfig(text, { file: 'edge.yaml', env, baseDir: tmpdir() });

describe('run file node.metrics', () => {
  it('reads the endpoint, with ${VAR}, on a node and on a project node', () => {
    expect(parse('node:\n  name: edge\n  metrics: ${METRICS:-127.0.0.1:9464}\n').metrics).toEqual({ listen: '127.0.0.1:9464' });
    expect(parse('project: {name: bank, listen: "127.0.0.1:4000"}\nnode:\n  metrics: "[::1]:9464"\n').metrics).toEqual({ listen: '[::1]:9464' });
    expect(parse('node:\n  metrics: 0.0.0.0:9464\n  metrics-allow-remote: true\n').metrics).toEqual({ listen: '0.0.0.0:9464', allowRemote: true });
    expect(parse('node: {name: edge}\n').metrics).toBeUndefined();
  });

  it('refuses a non-loopback address without metrics-allow-remote, naming the key and line', () => {
    expect(() => parse('node:\n  name: edge\n  metrics: 0.0.0.0:9464\n')).toThrow(/^edge\.yaml: node\.metrics: metrics address '0\.0\.0\.0:9464' is not loopback.* \(line 3\)$/);
    expect(() => parse('node:\n  metrics-allow-remote: true\n')).toThrow(/node\.metrics-allow-remote: needs node\.metrics \(line 2\)/);
    expect(() => parse('node:\n  metrics: 9464\n')).toThrow(/node\.metrics: must be a string|node\.metrics: .*HOST:PORT/);
  });
});
