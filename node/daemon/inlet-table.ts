import { AlreadyExistsError, NotFoundError } from '../../core/errors.js';
import { findInletName } from './inlet-name.js';
import type { DaemonContext } from './service.js';

/** What an inlet table keeps of one inlet: its persisted record, the running inlet, or why it could not start. */
export interface InletEntry<R, I> {
  record: R;
  inlet?: I;
  error?: string;
}

/** What every inlet record has: its listen address (its name) and the `--allow` expression stored for it. */
export interface InletRecordBase {
  readonly listen: string;
  readonly allow?: string;
}

/** A running inlet, as the table needs it. */
export interface RunningInlet {
  stop(): Promise<void>;
  status(): { readonly listen: string };
}

/** Options of {@link InletTable}. */
export interface InletTableOptions<R extends InletRecordBase, I extends RunningInlet, E extends InletEntry<R, I>> {
  /** `tcp inlet`, `kafka inlet`: how messages and logs name one. */
  readonly what: string;
  /** The node configuration section the records persist in (`{ inlets: [...] }`). */
  readonly section: string;
  /** The policy resource type of the inlet's check of its outlet (`--allow` stores `{ resource: LISTEN }`). */
  readonly resourceType: string;
  /** Starts the inlet of `entry` (its policy name and route follow `entry.record`, updated once the port is known). */
  readonly launch: (entry: E) => Promise<I>;
}

/**
 * The inlets of one kind on a node, by listen address: the create, restore and delete path
 * that TCP and Kafka inlets share. Records persist in the node configuration; at start each is
 * restored (one that cannot start is kept, with its error, and shows as not running); `create`
 * starts the inlet, names it by the address it really listens on (`:0` becomes a port), stores
 * its `--allow` policy (stopping it again if that fails) and persists; `delete` stops it and
 * removes its policy unless that was changed since.
 */
export class InletTable<R extends InletRecordBase, I extends RunningInlet, E extends InletEntry<R, I> = InletEntry<R, I>> {
  readonly entries = new Map<string, E>();

  constructor(private readonly ctx: DaemonContext, private readonly options: InletTableOptions<R, I, E>) {}

  /** Starts the inlet of every saved record (errors are kept and logged), and stops them all when the node stops. */
  async restore(records: readonly R[], entry: (record: R) => E): Promise<void> {
    for (const record of records) {
      const e = entry(record);
      this.entries.set(record.listen, e);
      try {
        e.inlet = await this.options.launch(e);
      } catch (err) {
        e.error = err instanceof Error ? err.message : String(err);
        this.ctx.logger.error({ inlet: record.listen, err: e.error }, `cannot restore ${this.options.what}`);
      }
    }
    this.ctx.onStop(async () => {
      await Promise.all([...this.entries.values()].map((e) => e.inlet?.stop()));
    });
  }

  /** Throws AlreadyExistsError when an inlet listens on `listen` already. */
  assertFree(listen: string): void {
    if (this.entries.has(listen)) throw new AlreadyExistsError('portal', `an inlet already listens on ${listen}`);
  }

  /** Starts a new inlet for `entry`, stores its `allow` policy, persists it; returns its name (the address it listens on). */
  async create(entry: E, allow: string | undefined, signal: AbortSignal): Promise<string> {
    this.assertFree(entry.record.listen);
    const inlet = await this.options.launch(entry);
    const listen = inlet.status().listen;
    if (this.entries.has(listen)) {
      await inlet.stop();
      this.assertFree(listen);
    }
    entry.record = { ...entry.record, listen, ...(allow !== undefined ? { allow } : {}) };
    entry.inlet = inlet;
    try {
      if (allow !== undefined) await this.ctx.policy.policies.create({ kind: 'resource', name: listen }, allow, { signal });
    } catch (err) {
      await inlet.stop();
      throw err;
    }
    this.entries.set(listen, entry);
    this.persist();
    return listen;
  }

  /** The entry named `name`; NotFoundError when there is none. */
  get(name: string): E {
    const entry = this.entries.get(name);
    if (!entry) throw new NotFoundError('portal', `no ${this.options.what} '${name}' on node '${this.ctx.name}'`);
    return entry;
  }

  /** The inlet a name given by the user means (`localhost:15440` is `127.0.0.1:15440`). */
  async known(given: string): Promise<string> {
    return await findInletName(this.entries.keys(), given) ?? given;
  }

  /** Stops and forgets the inlet `given` names, and removes its `--allow` policy unless it was changed since. */
  async delete(given: string, signal: AbortSignal): Promise<string> {
    const name = await this.known(given);
    const entry = this.get(name);
    this.entries.delete(name);
    this.persist();
    await entry.inlet?.stop();
    if (entry.record.allow !== undefined && this.ctx.policy.policies.policyFor({ type: this.options.resourceType, name })?.expression === entry.record.allow) {
      await this.ctx.policy.policies.delete({ kind: 'resource', name }, { signal }).catch(() => undefined);
    }
    return name;
  }

  private persist(): void {
    this.ctx.config.setSection(this.options.section, { inlets: [...this.entries.values()].map((e) => e.record) });
  }
}
