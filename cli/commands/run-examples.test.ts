import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../node/home/run-config.js';
import Run from './run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const examples = join(root, 'examples');
const read = (name: string): string => readFileSync(join(examples, name), 'utf8');
const env = { SYMBOLON_ENROLLMENT_TICKET: '' };

/** The flags of `symbolon run` a command line uses (`--background`, `--dry-run` ...) must exist. */
function expectRunFlagsExist(args: readonly string[]): void {
  for (const arg of args.filter((a) => a.startsWith('--'))) {
    const name = arg.slice(2).split('=')[0]!;
    expect(Object.keys(Run.flags).concat(['json']), `symbolon run ${arg}`).toContain(name);
  }
}

describe('examples', () => {
  it('the three run files of the README scenario are valid run files', () => {
    for (const name of ['project.yaml', 'bank.yaml', 'analysis.yaml']) {
      const config = parseRunConfig(read(name), { file: name, env, baseDir: examples });
      expect(config.file).toBe(name);
    }
    expect(parseRunConfig(read('project.yaml'), { file: 'project.yaml', env, baseDir: examples }).project?.listen).toBe('127.0.0.1:4000');
  });

  it('the Dockerfile is multi-stage, runs as a non-root user, and copies and runs files that exist', () => {
    const text = read('Dockerfile');
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER\s+(root|0)\b/);
    // Every COPY from the build context names a file or folder of the repository.
    for (const line of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1);
      for (const src of parts.slice(0, -1)) expect(existsSync(join(root, src)), `${line}: ${src}`).toBe(true);
    }
    // What the build stage compiles with exists.
    expect(text).toContain('npm run -s build');
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.build).toBeDefined();
    const entry = JSON.parse(/ENTRYPOINT\s+(\[.*\])/.exec(text)![1]!) as string[];
    const cmd = JSON.parse(/CMD\s+(\[.*\])/.exec(text)![1]!) as string[];
    expect(entry.slice(0, 3)).toEqual(['node', '/opt/symbolon/bin/run.js', 'run']);
    expect(existsSync(join(root, 'bin/run.js'))).toBe(true);
    expectRunFlagsExist([...entry.slice(3), ...cmd]);
    // The config it runs is the example copied into the image.
    expect(text).toMatch(new RegExp(`COPY examples/bank.yaml ${cmd[0]!.replace(/\//g, '\\/')}`));
    // The package ships the schema the image copies.
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).files).toContain('schemas');
  });

  it('the systemd unit runs symbolon run on a config file as a non-root user, with flags that exist', () => {
    const text = read('symbolon.service');
    const get = (key: string): string[] => text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
    expect(get('User')[0]).toBeDefined();
    expect(get('User')[0]).not.toBe('root');
    const exec = get('ExecStart')[0]!.split(/\s+/);
    expect(exec[0]).toMatch(/\/node$/);
    expect(exec[1]).toBe('/opt/symbolon/bin/run.js');
    expect(exec[2]).toBe('run');
    expect(exec[3]).toMatch(/\.yaml$/);
    expectRunFlagsExist(exec.slice(4));
    expect(get('KillSignal')[0]).toBe('SIGTERM');
    expect(get('Type')[0]).toBe('simple');
    expect(get('Environment').some((e) => e.startsWith('SYMBOLON_HOME='))).toBe(true);
    for (const section of ['[Unit]', '[Service]', '[Install]']) expect(text).toContain(section);
  });
});
