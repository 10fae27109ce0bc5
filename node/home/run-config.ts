import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
import { decodeEnrollmentTicket, ENROLLMENT_TICKET_PREFIX, type EnrollmentTicket } from '../../authority/enrollment-ticket.js';
import { InvalidInputError } from '../../core/errors.js';
import { compilePolicyExpression } from '../../policy/policy-expression.js';
import { BadReferenceError, interpolate, UnsetVariableError } from './env-interpolation.js';
import { checkSchema, formatJsonPath, type JsonPath, type JsonSchema } from './json-schema-check.js';
import { parseLogFiles, parseLogSize, DEFAULT_LOG_LIMITS, type LogLimits } from './log-limits.js';
import { validateMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.js';
import { validateListenerAddress, type GcMode } from './node-config.js';
import { checkVaultConfig, DEFAULT_VAULT, type VaultType } from './vault-registry.js';
import { vaultKind } from './vault-kinds.js';
import type { PolicyMode } from '../../policy/policy.js';
import { routeForListener, validateDatabaseUrl } from './project-node.js';
import { runConfigSchema } from './run-config-schema.js';

/** A run file that cannot be used; the message names the file, the key and its line. */
export class RunConfigError extends InvalidInputError {
  constructor(readonly file: string, readonly key: string, readonly line: number | undefined, detail: string, options?: { cause?: unknown }) {
    super('cli', `${file}: ${key === '' ? '' : `${key}: `}${detail}${line !== undefined ? ` (line ${line})` : ''}`, options);
  }
}

/** An outlet of the run file (`tcp-outlets[i]`). */
export interface RunOutlet {
  readonly key: string;
  readonly path: JsonPath;
  /** Worker address (`from`, default `outlet`). */
  readonly address: string;
  readonly target: string;
  readonly allow?: string;
}

/** An inlet of the run file (`tcp-inlets[i]`). */
export interface RunInlet {
  readonly key: string;
  readonly path: JsonPath;
  readonly listen: string;
  readonly via?: string;
  readonly to?: string;
  readonly outlet: string;
  readonly allow?: string;
}

/** A policy of the run file (`policies[i]`). */
export interface RunPolicy {
  readonly key: string;
  readonly path: JsonPath;
  readonly scope: { readonly resource: string } | { readonly resourceType: string };
  readonly expression: string;
  /** `enforce` (default) or `audit`. */
  readonly mode: PolicyMode;
}

/** A vault of the run file (`vaults[i]`), as `vault create` would record it. */
export interface RunVault {
  readonly key: string;
  readonly path: JsonPath;
  readonly name: string;
  readonly type: VaultType;
  /** The vault's config (the kind's fields, checked; no secrets). */
  readonly config: Readonly<Record<string, unknown>>;
}

/** The enrollment of the run file: the ticket (absent when the file gave an empty one) and its decoded contents. */
export interface RunEnrollment {
  readonly key: string;
  readonly path: JsonPath;
  readonly ticket?: { readonly line: string; readonly decoded: EnrollmentTicket };
}

/** A project node of the run file (`project:`). */
export interface RunProject {
  readonly name: string;
  readonly listen: string;
  /** Route text members use to reach it. */
  readonly route: string;
  readonly database?: string;
}

/** A checked run file: what `symbolon run` brings the home to. */
export interface RunConfig {
  /** The file as named in messages (`-` reads as `stdin`). */
  readonly file: string;
  readonly identity?: { readonly name: string; readonly vault?: string };
  /** The node's name when the file gives one (with `project`: the project's name). */
  readonly nodeName?: string;
  readonly listen?: string;
  /** Log limits when the file sets either; the other takes its default. */
  readonly log?: LogLimits;
  /** The metrics endpoint (`node.metrics`); absent: the node serves none. */
  readonly metrics?: MetricsEndpoint;
  /** Garbage collection of the node process (`node.gc`); absent: the node's setting stays (`auto` for a new node). */
  readonly gc?: GcMode;
  /** Vaults the home must have (`vaults`). */
  readonly vaults: readonly RunVault[];
  readonly project?: RunProject;
  readonly enrollment?: RunEnrollment;
  readonly outlets: readonly RunOutlet[];
  readonly inlets: readonly RunInlet[];
  readonly relays: readonly string[];
  readonly policies: readonly RunPolicy[];
  /** The line of `key` (`tcp-inlets[1].allow`) in the file, for messages about it later. */
  lineOf(key: JsonPath): number | undefined;
}

/** Where the run file comes from and how its values are expanded. */
export interface ReadRunConfigOptions {
  /** The name used in messages. */
  readonly file: string;
  /** Environment for `${VAR}`; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Folder that relative file names in the file (the ticket) are resolved against. */
  readonly baseDir: string;
}

/** Largest run file accepted. */
export const MAX_RUN_FILE_BYTES = 1024 * 1024;

/** Finds the YAML node at `path`: the key node with `atKey`, otherwise the value node. */
function nodeAt(doc: Document, path: JsonPath, atKey: boolean): YamlNode | undefined {
  let current: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (isMap(current)) {
      const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      if (!pair) return isMap(current) ? current : undefined;
      if (atKey && i === path.length - 1) return pair.key as YamlNode;
      current = pair.value;
    } else if (isSeq(current) && typeof part === 'number') {
      current = current.items[part];
    } else {
      return current as YamlNode | undefined;
    }
  }
  return current as YamlNode | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One-line reason of a policy compile error, without its caret rendering. */
function expressionProblem(err: unknown): string {
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  return first.replace(/^invalid policy expression: /, '').replace(/^unknown variable: /, 'unknown variable ');
}

/**
 * Reads and checks a run file: YAML (one document, at most 1 MiB), `${VAR}` and
 * `${VAR:-default}` expanded in string values, checked against the package's JSON Schema
 * (schemas/symbolon-config.schema.json), then every value that has a meaning of its own:
 * addresses, policy expressions (compiled and type-checked as `policy create` does), log
 * sizes, the database URL, the enrollment ticket. Throws RunConfigError naming the file, the
 * key and its line; reads nothing but the file (and the ticket file it names).
 */
export function parseRunConfig(text: string, { file, env = process.env, baseDir }: ReadRunConfigOptions): RunConfig {
  if (Buffer.byteLength(text) > MAX_RUN_FILE_BYTES) throw new RunConfigError(file, '', undefined, `larger than ${MAX_RUN_FILE_BYTES} bytes`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const lineOfOffset = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  const firstError = doc.errors[0];
  if (firstError) throw new RunConfigError(file, '', lineOfOffset(firstError.pos[0]), `invalid YAML: ${firstError.message.split('\n')[0]}`);
  const lineOf = (path: JsonPath, atKey = false): number | undefined => lineOfOffset(nodeAt(doc, path, atKey)?.range?.[0]);
  const fail = (path: JsonPath, detail: string, cause?: unknown, atKey = false): never => {
    throw new RunConfigError(file, formatJsonPath(path), lineOf(path, atKey), detail, cause === undefined ? undefined : { cause });
  };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (cause) {
    throw new RunConfigError(file, '', undefined, `invalid YAML: ${(cause as Error).message}`, { cause });
  }
  if (raw === null || raw === undefined) throw new RunConfigError(file, '', undefined, 'the file is empty: describe at least a node, a project or an enrollment');

  // ${VAR} in string values (never in keys), before the schema sees them.
  const expand = (value: unknown, path: JsonPath): unknown => {
    if (typeof value === 'string') {
      try {
        return interpolate(value, env);
      } catch (err) {
        if (err instanceof UnsetVariableError || err instanceof BadReferenceError) return fail(path, err.message, err);
        throw err;
      }
    }
    if (Array.isArray(value)) return value.map((v, i) => expand(v, [...path, i]));
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, [...path, k])]));
    return value;
  };
  // A secret has no key of its own in a run file: say where it goes instead.
  if (isRecord(raw) && Array.isArray(raw.vaults)) {
    raw.vaults.forEach((v: unknown, i: number) => {
      if (isRecord(v) && v.pin !== undefined) fail(['vaults', i, 'pin'], 'a PIN never sits in a run file: name the variable that holds it (pin-env) or a 0600 file (pin-file)', undefined, true);
    });
  }
  const value = coerceIntegers(expand(raw, []), runConfigSchema());
  const issue = checkSchema(value, runConfigSchema())[0];
  if (issue) fail(issue.path, issue.message, undefined, issue.atKey === true);
  const top = value as Record<string, any>; // checked against the schema above

  const checked = <T>(path: JsonPath, check: () => T): T => {
    try {
      return check();
    } catch (err) {
      return fail(path, err instanceof Error ? err.message.replace(/^--?[a-z-]+ /, 'must ') : String(err), err);
    }
  };
  const expression = (path: JsonPath, source: string): string => {
    try {
      compilePolicyExpression(source);
    } catch (err) {
      fail(path, expressionProblem(err), err);
    }
    return source;
  };
  const fixedPort = (path: JsonPath, hostPort: string): string => {
    checked(path, () => validateListenerAddress(hostPort));
    if (/:0+$/.test(hostPort)) fail(path, `'${hostPort}' needs a fixed port`);
    return hostPort;
  };

  const node = isRecord(top.node) ? top.node : undefined;
  let project: RunProject | undefined;
  if (isRecord(top.project)) {
    for (const key of ['name', 'listen'] as const) if (node?.[key] !== undefined) fail(['node', key], 'not allowed with project (the project node is named after the project and listens on project.listen)', undefined, true);
    for (const key of ['enrollment', 'relays'] as const) if (top[key] !== undefined) fail([key], 'not allowed with project (a project node is no member of another project)', undefined, true);
    const listen = fixedPort(['project', 'listen'], top.project.listen as string);
    const database = top.project.database === undefined ? undefined : checked(['project', 'database'], () => validateDatabaseUrl(top.project.database as string));
    project = { name: top.project.name as string, listen, route: routeForListener(listen), ...(database !== undefined ? { database } : {}) };
  }
  const listen = typeof node?.listen === 'string' ? checked(['node', 'listen'], () => validateListenerAddress(node.listen as string)) : undefined;
  let log: LogLimits | undefined;
  if (node?.['log-max-size'] !== undefined || node?.['log-max-files'] !== undefined) {
    log = {
      maxSize: node['log-max-size'] === undefined ? DEFAULT_LOG_LIMITS.maxSize : checked(['node', 'log-max-size'], () => parseLogSize(node['log-max-size'] as string | number)),
      maxFiles: node['log-max-files'] === undefined ? DEFAULT_LOG_LIMITS.maxFiles : checked(['node', 'log-max-files'], () => parseLogFiles(node['log-max-files'] as number)),
    };
  }

  if (node?.['metrics-allow-remote'] !== undefined && node.metrics === undefined) fail(['node', 'metrics-allow-remote'], 'needs node.metrics', undefined, true);
  const metrics = typeof node?.metrics === 'string'
    ? checked(['node', 'metrics'], () => validateMetricsEndpoint(node.metrics as string, { allowRemote: node['metrics-allow-remote'] === true }))
    : undefined;

  let enrollment: RunEnrollment | undefined;
  if (isRecord(top.enrollment)) {
    const path: JsonPath = ['enrollment', 'ticket'];
    const given = (top.enrollment.ticket as string).trim();
    let line: string | undefined;
    if (given.startsWith(ENROLLMENT_TICKET_PREFIX)) line = given;
    else if (given !== '') {
      const ticketFile = isAbsolute(given) ? given : resolve(baseDir, given);
      try {
        line = readFileSync(ticketFile, 'utf8').trim();
      } catch (err) {
        fail(path, `'${given}' is neither a ticket (${ENROLLMENT_TICKET_PREFIX}...) nor a readable file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, err);
      }
    }
    const decoded = line === undefined ? undefined : checked(path, () => decodeEnrollmentTicket(line!));
    enrollment = { key: formatJsonPath(path), path, ...(line !== undefined && decoded ? { ticket: { line, decoded } } : {}) };
  }

  const outlets: RunOutlet[] = ((top['tcp-outlets'] ?? []) as Array<Record<string, string>>).map((o, i) => {
    const base: JsonPath = ['tcp-outlets', i];
    checked([...base, 'to'], () => validateListenerAddress(o.to!));
    return {
      key: formatJsonPath(base), path: base, address: o.from ?? 'outlet', target: o.to!,
      ...(o.allow !== undefined ? { allow: expression([...base, 'allow'], o.allow) } : {}),
    };
  });
  unique(outlets, (o) => o.address, (i, v) => fail(['tcp-outlets', i, 'from'], `outlet address '${v}' is used twice`));

  const inlets: RunInlet[] = ((top['tcp-inlets'] ?? []) as Array<Record<string, string>>).map((t, i) => {
    const base: JsonPath = ['tcp-inlets', i];
    if ((t.via === undefined) === (t.to === undefined)) fail(base, 'give exactly one of via (a relay) and to (a route)');
    return {
      key: formatJsonPath(base), path: base, listen: fixedPort([...base, 'from'], t.from!), outlet: t.outlet ?? 'outlet',
      ...(t.via !== undefined ? { via: t.via } : {}), ...(t.to !== undefined ? { to: t.to } : {}),
      ...(t.allow !== undefined ? { allow: expression([...base, 'allow'], t.allow) } : {}),
    };
  });
  unique(inlets, (t) => t.listen, (i, v) => fail(['tcp-inlets', i, 'from'], `'${v}' is listened on twice`));

  const policies: RunPolicy[] = ((top.policies ?? []) as Array<Record<string, string>>).map((p, i) => {
    const base: JsonPath = ['policies', i];
    if ((p.resource === undefined) === (p['resource-type'] === undefined)) fail(base, 'give exactly one of resource and resource-type');
    return {
      key: formatJsonPath(base), path: base,
      scope: p.resource !== undefined ? { resource: p.resource } : { resourceType: p['resource-type']! },
      expression: expression([...base, 'expression'], p.expression!), mode: p.mode === 'audit' ? 'audit' : 'enforce',
    };
  });
  unique(policies, (p) => JSON.stringify(p.scope), (i) => fail(['policies', i], 'a policy for this resource is listed twice'));
  for (const [i, p] of policies.entries()) {
    if (!('resource' in p.scope)) continue;
    const name = p.scope.resource;
    if (inlets.some((t) => t.listen === name && t.allow !== undefined) || outlets.some((o) => o.address === name && o.allow !== undefined)) {
      fail(['policies', i, 'resource'], `'${name}' already gets its policy from the allow of its inlet or outlet`);
    }
  }

  const vaults: RunVault[] = ((top.vaults ?? []) as Array<Record<string, unknown>>).map((v, i) => {
    const base: JsonPath = ['vaults', i];
    const kind = vaultKind(v.kind as string);
    const own = new Map(kind.flags.map((f) => [f.flag, f]));
    for (const key of Object.keys(v)) {
      if (key !== 'name' && key !== 'kind' && !own.has(key)) fail([...base, key], `does not apply to a ${kind.type} vault`, undefined, true);
    }
    const fieldsOf = kind.flags.filter((f) => v[f.flag] !== undefined && v[f.flag] !== false).map((f) => {
      const value = v[f.flag];
      return [f.field, f.value === 'strings' && typeof value === 'string' ? [value] : value] as const;
    });
    const config = checked(base, () => checkVaultConfig(kind.type, Object.fromEntries(fieldsOf)));
    return { key: formatJsonPath(base), path: base, name: v.name as string, type: kind.type, config };
  });
  unique(vaults, (v) => v.name, (i, name) => fail(['vaults', i, 'name'], `vault '${name}' is listed twice`));
  for (const [i, v] of vaults.entries()) if (v.name === DEFAULT_VAULT) fail(['vaults', i, 'name'], `vault '${DEFAULT_VAULT}' is built in`);

  const identity = isRecord(top.identity) ? { name: top.identity.name as string, ...(typeof top.identity.vault === 'string' ? { vault: top.identity.vault } : {}) } : undefined;
  const nodeName = project?.name ?? (typeof node?.name === 'string' ? node.name : undefined);
  return {
    file, outlets, inlets, policies, relays: (top.relays ?? []) as string[],
    ...(identity ? { identity } : {}), ...(nodeName !== undefined ? { nodeName } : {}), ...(listen !== undefined ? { listen } : {}),
    ...(log ? { log } : {}), ...(metrics ? { metrics } : {}), ...(project ? { project } : {}), ...(enrollment ? { enrollment } : {}),
    ...(typeof node?.gc === 'string' ? { gc: node.gc as GcMode } : {}), vaults,
    lineOf: (path) => lineOf(path),
  };
}

/** Reads the run file `path` (`-`: standard input) and checks it (see parseRunConfig). */
export function readRunConfig(path: string, { env = process.env, stdin }: { env?: NodeJS.ProcessEnv; stdin?: () => string } = {}): RunConfig {
  if (path === '-') {
    const text = stdin ? stdin() : readFileSync(0, 'utf8');
    return parseRunConfig(text, { file: 'stdin', env, baseDir: process.cwd() });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RunConfigError(path, '', undefined, `cannot read the file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  return parseRunConfig(text, { file: path, env, baseDir: dirname(resolve(path)) });
}

/** Calls `duplicate(index, key)` for the first item whose key an earlier item has. */
function unique<T>(items: readonly T[], key: (item: T) => string, duplicate: (index: number, key: string) => void): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) duplicate(i, k);
    seen.add(k);
  });
}

/** Turns digit strings (from `${VAR}`) into integers where the schema asks for an integer only. */
function coerceIntegers(value: unknown, schema: JsonSchema): unknown {
  if (typeof value === 'string' && schema.type === 'integer' && /^\d+$/.test(value)) return Number(value);
  if (Array.isArray(value) && schema.items) return value.map((v) => coerceIntegers(v, schema.items!));
  if (isRecord(value) && schema.properties) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schema.properties![k] ? coerceIntegers(v, schema.properties![k]!) : v]));
  }
  return value;
}
