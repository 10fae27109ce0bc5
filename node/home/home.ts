import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidInputError, IoError } from '../../core/errors.js';
import { chooseSocketPath } from '../../core/api/socket-path.js';
import { withFileLock } from './file-lock.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';

/** Node names: lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 63. */
export const NODE_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Returns `name` when it is a valid node name; throws InvalidInputError otherwise. */
export function validateNodeName(name: string): string {
  if (!NODE_NAME_RE.test(name)) {
    throw new InvalidInputError('cli', `invalid node name '${name}': use 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit`);
  }
  return name;
}

/** The files of one node inside a home. */
export interface NodePaths {
  readonly dir: string;
  /** Persisted configuration (listener, service sections). */
  readonly config: string;
  /** Process id of the running node. */
  readonly pid: string;
  /** JSON log lines (rotated to `node.log.1` ... by size). */
  readonly log: string;
  /** What the process itself writes to stdout and stderr outside the log (a crash), from its last start. */
  readonly out: string;
  /** Runtime state of the running node: pid, actual listener address, control socket path. */
  readonly state: string;
}

/**
 * The home's own configuration (`<home>/config.json`). Later parts add fields
 * (default identity, projects); unknown fields are kept on update.
 */
export interface HomeConfig {
  readonly version: 1;
  /** The node commands use when they are not given one: the home's first node. */
  readonly defaultNode?: string;
  readonly [field: string]: unknown;
}

/**
 * A Symbolon home folder (`SYMBOLON_HOME`, default `~/.symbolon`), private to its owner (0700):
 * `config.json` and `nodes/<name>/{config.json,state.json,node.pid,node.log,node.out}`.
 */
export class Home {
  /** The absolute path of the home folder. */
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The home named by `SYMBOLON_HOME`, or `~/.symbolon`. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Home {
    const fromEnv = env.SYMBOLON_HOME;
    return new Home(fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.symbolon'));
  }

  /** Creates the home folder (0700) and `nodes/` when missing. */
  ensure(): void {
    try {
      mkdirSync(join(this.root, 'nodes'), { recursive: true, mode: 0o700 });
      if ((statSync(this.root).mode & 0o777) !== 0o700) chmodSync(this.root, 0o700);
    } catch (cause) {
      throw new IoError('cli', `cannot create the home folder '${this.root}': ${(cause as Error).message}`, { cause });
    }
  }

  /** The paths of node `name` (the name is validated). */
  node(name: string): NodePaths {
    const dir = join(this.root, 'nodes', validateNodeName(name));
    return {
      dir,
      config: join(dir, 'config.json'),
      pid: join(dir, 'node.pid'),
      log: join(dir, 'node.log'),
      out: join(dir, 'node.out'),
      state: join(dir, 'state.json'),
    };
  }

  /**
   * Where node `name` puts its control socket: `nodes/<name>/control.sock`, or, when that
   * path is too long for a Unix socket, a private per-user temp folder keyed by home and name.
   */
  controlSocketPath(name: string): string {
    return chooseSocketPath(join(this.node(name).dir, 'control.sock'), `${this.root}\0${name}`);
  }

  /** True when node `name` has been created in this home. */
  hasNode(name: string): boolean {
    return existsSync(this.node(name).config);
  }

  /** Names of the nodes created in this home, sorted. */
  nodeNames(): string[] {
    let entries: string[];
    try {
      entries = readdirSync(join(this.root, 'nodes'));
    } catch {
      return [];
    }
    return entries.filter((n) => NODE_NAME_RE.test(n) && existsSync(join(this.root, 'nodes', n, 'config.json'))).sort();
  }

  /** The home configuration (an empty one when the file does not exist yet). */
  readConfig(): HomeConfig {
    const value = readJsonFile(join(this.root, 'config.json'));
    if (value === undefined) return { version: 1 };
    if (!isObject(value)) throw new InvalidInputError('cli', `'${join(this.root, 'config.json')}' is not a JSON object`);
    return { ...value, version: 1 };
  }

  /** Applies `change` to the home configuration and writes it atomically (0600), under the file's lock. */
  updateConfig(change: (config: HomeConfig) => HomeConfig): HomeConfig {
    this.ensure();
    const path = join(this.root, 'config.json');
    return withFileLock(path, () => {
      const next = change(this.readConfig());
      writeJsonFileAtomic(path, next);
      return next;
    });
  }

  /** The default node's name, if it still exists. */
  defaultNode(): string | undefined {
    const name = this.readConfig().defaultNode;
    return typeof name === 'string' && NODE_NAME_RE.test(name) && this.hasNode(name) ? name : undefined;
  }
}
