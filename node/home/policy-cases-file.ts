import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { InvalidInputError } from '../../core/errors.js';
import { DEFAULT_ACTIONS, type PolicyCase } from '../../policy/policy-cases.js';
import { assertResourceType } from '../../policy/policy.js';

/** A policy test suite read from a file: an optional expression and its cases. */
export interface PolicyCasesFile {
  /** The suite's own expression (`expression:`), when it gives one. */
  readonly expression?: string;
  readonly cases: readonly PolicyCase[];
}

/** Largest cases file accepted. */
export const MAX_CASES_FILE_BYTES = 1024 * 1024;
/** Most cases in one file. */
export const MAX_CASES = 10_000;

const CASE_KEYS = new Set(['name', 'subject', 'resource', 'action', 'now', 'expect']);
const TOP_KEYS = new Set(['expression', 'resource', 'cases']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a policy test suite (YAML):
 *
 * ```yaml
 * expression: 'subject.component == "analysis"'   # optional; --expression wins
 * resource: { type: tcp-outlet, name: outlet }      # optional default of every case
 * cases:
 *   - name: analysis connects
 *     subject: { component: analysis, project: bank }
 *     expect: allow
 *   - subject: { component: web }
 *     action: connect                                # default: the type's main action
 *     expect: deny
 * ```
 *
 * Subject values are strings (`identifier`, `authority` and `project` stand for who vouched).
 * Throws InvalidInputError naming the file, the key and its line.
 */
export function parsePolicyCases(text: string, file: string): PolicyCasesFile {
  if (Buffer.byteLength(text) > MAX_CASES_FILE_BYTES) throw new InvalidInputError('cli', `${file}: larger than ${MAX_CASES_FILE_BYTES} bytes`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false });
  const firstError = doc.errors[0];
  if (firstError) throw new InvalidInputError('cli', `${file}: invalid YAML: ${firstError.message.split('\n')[0]} (line ${lines.linePos(firstError.pos[0]).line})`);
  const lineOfCase = (i: number): number | undefined => {
    const seq = isMap(doc.contents) ? doc.contents.get('cases', true) : undefined;
    const item = isSeq(seq) ? (seq.items[i] as YamlNode | undefined) : undefined;
    return item?.range ? lines.linePos(item.range[0]).line : undefined;
  };
  const fail = (key: string, detail: string, line?: number): never => {
    throw new InvalidInputError('cli', `${file}: ${key}: ${detail}${line !== undefined ? ` (line ${line})` : ''}`);
  };
  const raw = doc.toJS({ maxAliasCount: 50 }) as unknown;
  if (!isRecord(raw)) return fail('(top)', 'must be a map with cases: [...]');
  for (const key of Object.keys(raw)) if (!TOP_KEYS.has(key)) fail(key, `unknown key (use ${[...TOP_KEYS].join(', ')})`);
  if (raw.expression !== undefined && (typeof raw.expression !== 'string' || raw.expression === '')) fail('expression', 'must be a non-empty string');
  const defaultResource = raw.resource === undefined ? undefined : resourceOf(raw.resource, 'resource', fail);
  if (!Array.isArray(raw.cases) || raw.cases.length === 0) return fail('cases', 'must be a non-empty list');
  if (raw.cases.length > MAX_CASES) fail('cases', `more than ${MAX_CASES} cases`);
  const cases = raw.cases.map((item: unknown, i: number): PolicyCase => {
    const key = `cases[${i}]`;
    const line = lineOfCase(i);
    const bad = (sub: string, detail: string): never => fail(`${key}${sub}`, detail, line);
    if (!isRecord(item)) return bad('', 'must be a map with subject and expect');
    for (const k of Object.keys(item)) if (!CASE_KEYS.has(k)) bad(`.${k}`, `unknown key (use ${[...CASE_KEYS].join(', ')})`);
    if (item.expect !== 'allow' && item.expect !== 'deny') bad('.expect', 'must be allow or deny');
    if (!isRecord(item.subject)) bad('.subject', 'must be a map of attribute names to values');
    const subject: Record<string, string> = {};
    for (const [name, value] of Object.entries(item.subject as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/.test(name)) bad(`.subject`, `attribute name ${JSON.stringify(name.slice(0, 40))} is not allowed`);
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') bad(`.subject.${name}`, 'must be a string');
      subject[name] = String(value);
    }
    const resource = item.resource === undefined ? defaultResource ?? { type: 'worker', name: 'test' } : resourceOf(item.resource, `${key}.resource`, (k, d) => fail(k, d, line));
    if (item.action !== undefined && (typeof item.action !== 'string' || item.action === '')) bad('.action', 'must be a non-empty string');
    if (item.name !== undefined && typeof item.name !== 'string') bad('.name', 'must be a string');
    let now: Date | undefined;
    if (item.now !== undefined) {
      now = item.now instanceof Date ? item.now : new Date(String(item.now));
      if (Number.isNaN(now.getTime())) bad('.now', 'must be an ISO 8601 time');
    }
    return {
      name: (item.name as string | undefined) ?? `case ${i + 1}`, subject, resource,
      action: (item.action as string | undefined) ?? DEFAULT_ACTIONS[resource.type] ?? 'send', expect: item.expect as 'allow' | 'deny',
      ...(now ? { now } : {}), ...(line !== undefined ? { line } : {}),
    };
  });
  return { ...(typeof raw.expression === 'string' ? { expression: raw.expression } : {}), cases };
}

function resourceOf(value: unknown, key: string, fail: (key: string, detail: string) => never): { type: string; name: string } {
  if (!isRecord(value) || typeof value.type !== 'string' || (value.name !== undefined && typeof value.name !== 'string')) return fail(key, 'must be a map with type (and name)');
  for (const k of Object.keys(value)) if (k !== 'type' && k !== 'name') fail(`${key}.${k}`, 'unknown key (use type, name)');
  try {
    assertResourceType(value.type);
  } catch (err) {
    fail(`${key}.type`, (err as Error).message);
  }
  return { type: value.type, name: (value.name as string | undefined) ?? value.type };
}

/** Reads and parses the cases file at `path` (see {@link parsePolicyCases}). */
export function readPolicyCases(path: string): PolicyCasesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new InvalidInputError('cli', `${path}: cannot read the file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  return parsePolicyCases(text, path);
}
