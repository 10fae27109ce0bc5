import type { Authority } from '../authority.js';
import { takePage } from './page-budget.js';
import type { ServiceMethod } from './service-worker.js';

/** Records an `audit show` page returns at most. */
const MAX_SHOW_LIMIT = 1000;

/**
 * The `audit` service (admins only):
 * - `show { afterSeq?, sinceTime?, subject?, limit? }` -> `{ records, next? }`: records in
 *   `seq` order (at most `limit`, default 100, at most 1000); `next` is the `afterSeq` of the
 *   following page when the page was cut short by size
 * - `export { upToSeq?, afterSeq?, sign?, header? }` -> `{ lines, upToSeq, next? }`: JSONL
 *   export lines (see docs/authority.md, docs/audit.md); the first call (no `upToSeq`)
 *   checkpoints the head unless `sign` is false, and starts with a header unless `header` is
 *   false (after record `afterSeq` when given); call again with the returned `upToSeq` and
 *   `next` as `afterSeq` until `next` is absent
 * - `prove { seq, checkpoint? }` -> `{ proof }`: the JSON of an inclusion proof of record
 *   `seq` against the checkpoint at `checkpoint` (default: one signed now for the head)
 * - `prove { first, second }` -> `{ proof }`: the JSON of a consistency proof between the
 *   checkpoints at `first` and `second` (see docs/audit.md)
 */
export function auditMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    show: async ({ caller, params, signal }) => {
      params.only('afterSeq', 'sinceTime', 'subject', 'limit');
      const limit = Math.min(params.optionalInteger('limit') ?? 100, MAX_SHOW_LIMIT);
      const records = await authority.readAudit(caller.identifier, {
        afterSeq: params.optionalInteger('afterSeq'),
        sinceTime: params.optionalInteger('sinceTime'),
        subject: params.optionalString('subject', 256),
        limit: Math.max(1, limit),
      }, { signal });
      const { page, more } = takePage(records.map((r) => ({ ...r })));
      return more ? { records: page, next: page.at(-1)!.seq } : { records: page };
    },
    export: async ({ caller, params, signal }) => {
      params.only('upToSeq', 'afterSeq', 'sign', 'header');
      const page = await authority.exportAuditPage(caller.identifier, {
        upToSeq: params.optionalInteger('upToSeq'),
        afterSeq: params.optionalInteger('afterSeq'),
        sign: params.optionalBoolean('sign'),
        header: params.optionalBoolean('header'),
      }, { signal });
      return { lines: page.lines, upToSeq: page.upToSeq, next: page.next };
    },
    prove: async ({ caller, params, signal }) => {
      params.only('seq', 'checkpoint', 'first', 'second');
      const seq = params.optionalInteger('seq');
      const proof = seq !== undefined
        ? await authority.proveInclusion(caller.identifier, seq, params.optionalInteger('checkpoint'), { signal })
        : await authority.proveConsistency(caller.identifier, params.integer('first'), params.integer('second'), { signal });
      return { proof: JSON.stringify(proof) };
    },
  };
}
