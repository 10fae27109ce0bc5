import { open, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { AbortedError, InvalidInputError, IoError, NotFoundError } from '../core/errors.js';
import { assertPolicyScope, createPolicy, restorePolicy, scopeLabel } from './policy.js';
import type { Policy, PolicyMode, PolicyScope } from './policy.js';
import type { ChangeOptions, CreateOptions, PolicyChangeAuthor, PolicyStore, StoreOptions } from './policy-store.js';

interface StoredFile {
  readonly version: 1;
  /** `mode` is written only for audit-mode policies (files without it read as enforce). */
  readonly policies: ReadonlyArray<{ readonly scope: PolicyScope; readonly expression: string; readonly createdAt: string; readonly mode?: PolicyMode }>;
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError('policy');
}

/** A change of a node's policies, told to {@link FilePolicyStore.onChange} listeners once it is persisted. */
export interface PolicyChange {
  readonly scope: PolicyScope;
  /** The expression before the change; absent when the policy is new. */
  readonly before?: string;
  /** The expression after the change; absent when the policy was deleted. */
  readonly after?: string;
  /** The mode before the change, when there was a policy. */
  readonly beforeMode?: PolicyMode;
  /** The mode after the change, unless the policy was deleted. */
  readonly afterMode?: PolicyMode;
  /** Who asked for the change; absent: the local user of the control socket. */
  readonly by?: PolicyChangeAuthor;
}

/** Told about every persisted policy change, in order. */
export type PolicyChangeListener = (change: PolicyChange) => void;

/**
 * Policies of one node persisted as a JSON file (mode 0600), rewritten atomically
 * (temporary file, fsync, rename) on every change, and served from memory for decisions.
 * Open with {@link FilePolicyStore.open}. Changes are serialized.
 */
export class FilePolicyStore implements PolicyStore {
  private readonly byName = new Map<string, Policy>();
  private readonly byType = new Map<string, Policy>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<PolicyChangeListener>();

  private constructor(private readonly path: string, private readonly clock: () => Date) {}

  /**
   * Loads the store at `path` (a missing file is an empty store). A stored expression that no
   * longer compiles is kept as a policy that denies. Throws IoError for an unreadable file.
   */
  static async open(path: string, options: StoreOptions & { clock?: () => Date } = {}): Promise<FilePolicyStore> {
    checkSignal(options.signal);
    const store = new FilePolicyStore(path, options.clock ?? (() => new Date()));
    let text: string | undefined;
    try {
      text = await readFile(path, { encoding: 'utf8', signal: options.signal });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new IoError('policy', `cannot read policy file ${path}`, { cause });
    }
    if (text !== undefined) {
      let parsed: StoredFile;
      try {
        parsed = JSON.parse(text) as StoredFile;
      } catch (cause) {
        throw new IoError('policy', `policy file ${path} is not valid JSON`, { cause });
      }
      if (parsed?.version !== 1 || !Array.isArray(parsed.policies)) throw new IoError('policy', `policy file ${path} has an unknown format`);
      for (const p of parsed.policies) store.put(restorePolicy(p.scope, p.expression, p.createdAt, p.mode === 'audit' ? 'audit' : 'enforce'));
    }
    return store;
  }

  /** Calls `listener` after every persisted change (create, replace, delete); returns a function that stops it. */
  onChange(listener: PolicyChangeListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  policyFor(resource: { readonly type: string; readonly name: string }): Policy | undefined {
    return this.byName.get(resource.name) ?? this.byType.get(resource.type);
  }

  async create(scope: PolicyScope, expression: string, options: CreateOptions = {}): Promise<Policy> {
    checkSignal(options.signal);
    const policy = createPolicy(scope, expression, this.clock().toISOString(), options.mode ?? 'enforce');
    return this.change(options, () => {
      const previous = this.mapFor(scope).get(scopeKey(scope));
      this.put(policy);
      return {
        result: policy, undo: () => (previous !== undefined ? this.put(previous) : this.mapFor(scope).delete(scopeKey(scope))),
        change: {
          scope: policy.scope, ...(previous !== undefined ? { before: previous.expression, beforeMode: previous.mode } : {}),
          after: policy.expression, afterMode: policy.mode, ...(options.by !== undefined ? { by: options.by } : {}),
        },
      };
    });
  }

  async list(options: StoreOptions = {}): Promise<Policy[]> {
    checkSignal(options.signal);
    const sort = (m: Map<string, Policy>): Policy[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
    return [...sort(this.byName), ...sort(this.byType)];
  }

  async get(scope: PolicyScope, options: StoreOptions = {}): Promise<Policy> {
    checkSignal(options.signal);
    assertPolicyScope(scope);
    const policy = this.mapFor(scope).get(scopeKey(scope));
    if (policy === undefined) throw new NotFoundError('policy', `no policy for ${scopeLabel(scope)}`);
    return policy;
  }

  async delete(scope: PolicyScope, options: ChangeOptions = {}): Promise<void> {
    checkSignal(options.signal);
    assertPolicyScope(scope);
    return this.change(options, () => {
      const map = this.mapFor(scope);
      const previous = map.get(scopeKey(scope));
      if (previous === undefined) throw new NotFoundError('policy', `no policy for ${scopeLabel(scope)}`);
      map.delete(scopeKey(scope));
      return {
        result: undefined, undo: () => this.put(previous),
        change: { scope: previous.scope, before: previous.expression, beforeMode: previous.mode, ...(options.by !== undefined ? { by: options.by } : {}) },
      };
    });
  }

  private mapFor(scope: PolicyScope): Map<string, Policy> {
    if (scope.kind === 'resource') return this.byName;
    if (scope.kind === 'resource-type') return this.byType;
    throw new InvalidInputError('policy', 'policy scope kind must be resource or resource-type');
  }

  private put(policy: Policy): void {
    this.mapFor(policy.scope).set(scopeKey(policy.scope), policy);
  }

  /** Applies a change in memory, persists it, and undoes it in memory if persisting fails. */
  private change<T>(options: StoreOptions, apply: () => { result: T; undo: () => void; change: PolicyChange }): Promise<T> {
    const run = async (): Promise<T> => {
      checkSignal(options.signal);
      const { result, undo, change } = apply();
      try {
        await this.persist();
      } catch (error) {
        undo();
        throw error;
      }
      for (const listener of [...this.listeners]) {
        try {
          listener(change);
        } catch {
          // A listener (the node's decision log) reports its own failures; the change stands.
        }
      }
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async persist(): Promise<void> {
    const all = await this.list();
    const body: StoredFile = {
      version: 1, policies: all.map((p) => ({ scope: p.scope, expression: p.expression, createdAt: p.createdAt, ...(p.mode === 'audit' ? { mode: p.mode } : {}) })),
    };
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (cause) {
      await rm(temp, { force: true });
      throw new IoError('policy', `cannot write policy file in ${dirname(this.path)}`, { cause });
    }
  }
}

function scopeKey(scope: PolicyScope): string {
  return scope.kind === 'resource' ? scope.name : scope.type;
}
