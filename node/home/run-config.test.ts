import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interpolate } from './env-interpolation.js';
import { parseRunConfig, RunConfigError } from './run-config.js';

const dir = mkdtempSync(join(tmpdir(), 'run-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseRunConfig(text, { file: 'analysis.yaml', env, baseDir: dir });
const failure = (text: string, env: NodeJS.ProcessEnv = {}): string => {
  try {
    parse(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(RunConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a RunConfigError');
};

describe('interpolate', () => {
  it('expands ${VAR} and ${VAR:-default}, keeps $$ and lone $', () => {
    const env = { A: 'x', EMPTY: '' };
    expect(interpolate('${A}-${B:-dflt}-${EMPTY:-e}-$$-$5', env)).toBe('x-dflt-e-$-$5');
    expect(() => interpolate('${B}', env)).toThrow(/B is not set/);
    expect(() => interpolate('${1X}', env)).toThrow(/invalid variable name/);
    expect(() => interpolate('${A', env)).toThrow(/unclosed/);
  });
});

describe('parseRunConfig', () => {
  it('reads the analysis example shape', () => {
    const config = parse([
      'identity: {name: analysis}',
      'node:',
      '  name: edge',
      '  listen: 127.0.0.1:0',
      '  log-max-size: 1MB',
      '  log-max-files: ${FILES:-3}',
      'tcp-inlets:',
      '  - from: 127.0.0.1:15432',
      '    via: postgres',
      '    allow: subject.component == "db"',
      'relays: [pg]',
      'policies:',
      '  - resource-type: secure-channel-listener',
      '    expression: "true"',
    ].join('\n'));
    expect(config.identity).toEqual({ name: 'analysis' });
    expect(config.nodeName).toBe('edge');
    expect(config.log).toEqual({ maxSize: 1024 * 1024, maxFiles: 3 });
    expect(config.inlets).toEqual([{ key: 'tcp-inlets[0]', path: ['tcp-inlets', 0], listen: '127.0.0.1:15432', via: 'postgres', outlet: 'outlet', allow: 'subject.component == "db"' }]);
    expect(config.policies[0]!.scope).toEqual({ resourceType: 'secure-channel-listener' });
    expect(config.relays).toEqual(['pg']);
    expect(config.lineOf(['tcp-inlets', 0, 'allow'])).toBe(10);
  });

  it('names the file, key and line of a policy that does not type-check', () => {
    const text = ['tcp-inlets:', '  - from: 127.0.0.1:15432', '    via: postgres', '  - from: 127.0.0.1:15433', '    via: postgres', '    allow: subjct.component == "db"'].join('\n');
    expect(failure(text)).toBe('analysis.yaml: tcp-inlets[1].allow: unknown variable subjct (line 6)');
  });

  it('names unknown keys, wrong types, unset variables and YAML errors with their lines', () => {
    expect(failure('node:\n  name: n1\n  lissen: 127.0.0.1:1\n')).toMatch(/^analysis\.yaml: node\.lissen: unknown key \(known: .*\) \(line 3\)$/);
    expect(failure('relays: postgres\n')).toBe('analysis.yaml: relays: must be an array, not a string (line 1)');
    expect(failure('enrollment:\n  ticket: ${SYMBOLON_ENROLLMENT_TICKET}\n')).toBe('analysis.yaml: enrollment.ticket: environment variable SYMBOLON_ENROLLMENT_TICKET is not set (line 2)');
    expect(failure('node: [1\n')).toMatch(/^analysis\.yaml: invalid YAML: .*\(line \d\)$/);
    expect(failure('node: {}\nnode: {}\n')).toMatch(/invalid YAML: .*(line 2)/);
    expect(failure('')).toMatch(/the file is empty/);
    expect(failure('tcp-inlets:\n  - from: 127.0.0.1:0\n    via: x\n')).toBe("analysis.yaml: tcp-inlets[0].from: '127.0.0.1:0' needs a fixed port (line 2)");
    expect(failure('tcp-inlets:\n  - from: 127.0.0.1:1\n')).toBe('analysis.yaml: tcp-inlets[0]: give exactly one of via (a relay) and to (a route) (line 2)');
    expect(failure('node:\n  log-max-size: 10 parsecs\n')).toMatch(/node\.log-max-size: invalid log-max-size '10 parsecs'.*\(line 2\)/);
    expect(failure('project: {name: bank, listen: "127.0.0.1:4000"}\nenrollment: {ticket: ""}\n')).toMatch(/enrollment: not allowed with project .*\(line 2\)/);
    expect(failure('enrollment:\n  ticket: missing.ticket\n')).toMatch(/enrollment\.ticket: 'missing\.ticket' is neither a ticket .* nor a readable file \(ENOENT\) \(line 2\)/);
    expect(failure('tcp-outlets:\n  - to: 127.0.0.1:5432\n  - to: 127.0.0.1:5433\n')).toMatch(/tcp-outlets\[1\]\.from: outlet address 'outlet' is used twice/);
  });

  it('reads a project node and an empty ticket, and a ticket file next to the run file', () => {
    const project = parse('project:\n  name: bank\n  listen: ${LISTEN:-127.0.0.1:4000}\n');
    expect(project.project).toEqual({ name: 'bank', listen: '127.0.0.1:4000', route: '/ip4/127.0.0.1/tcp/4000' });
    expect(project.nodeName).toBe('bank');
    expect(parse('enrollment:\n  ticket: ${T:-}\n').enrollment).toEqual({ key: 'enrollment.ticket', path: ['enrollment', 'ticket'] });
    writeFileSync(join(dir, 'bad.ticket'), 'symbolon-ticket-v1:AAAA\n');
    expect(failure('enrollment:\n  ticket: bad.ticket\n')).toMatch(/^analysis\.yaml: enrollment\.ticket: malformed enrollment ticket.*\(line 2\)$/);
  });
});
