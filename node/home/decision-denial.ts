import type { AuditValue } from '../../authority/audit-record.js';
import type { Denial } from '../../policy/denial-log.js';
import type { PolicyScope } from '../../policy/policy.js';
import type { DecisionEntry } from './decision-record.js';

/** The policy scope recorded in a decision record's `policy` field. */
const scopeFromFields = (v: AuditValue | undefined): PolicyScope | undefined => {
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  const m = v as Record<string, string>;
  if (m.kind === 'resource' && typeof m.name === 'string') return { kind: 'resource', name: m.name };
  if (m.kind === 'resource-type' && typeof m.type === 'string') return { kind: 'resource-type', type: m.type };
  return undefined;
};

/** The denial a record reports (aggregates say how many), or undefined for other records. */
export function denialOf(entry: DecisionEntry): Denial | undefined {
  if (entry.type !== 'access.denied' && entry.type !== 'denials.aggregated') return undefined;
  const f = entry.fields;
  const resource = f.resource as Record<string, string> | undefined;
  if (resource === undefined || typeof resource !== 'object') return undefined;
  const scope = scopeFromFields(f.policy);
  let reason = String(f.reason);
  if (entry.type === 'denials.aggregated') {
    const who = entry.actor === '*' ? ` from ${String(f.identities)} identities` : '';
    reason = `${reason} [${String(f.count)} more denials like this${who} between ${new Date(Number(f.firstAt)).toISOString()} and ${new Date(Number(f.lastAt)).toISOString()}]`;
  }
  const subject = entry.actor === 'unauthenticated' || entry.actor === '*' ? undefined : entry.actor;
  return {
    at: new Date(entry.time).toISOString(),
    resource: { type: String(resource.type), name: String(resource.name), node: String(resource.node) },
    action: String(f.action), reason,
    ...(subject !== undefined ? { subject } : {}),
    ...(scope !== undefined && typeof f.expression === 'string' ? { policy: { scope, expression: f.expression } } : {}),
    ...(f.mode === 'audit' ? { mode: 'audit' as const } : {}),
  };
}
