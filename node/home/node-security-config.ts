import type { Home } from './home.js';
import { isObject } from './json-file.js';
import { NodeConfigFile } from './node-config.js';
import { validateRegistryName } from './registry-files.js';

/**
 * The node configuration section holding security settings:
 * `{ identity?: NAME, trust?: [PROJECT, ...] }`.
 */
export const SECURITY_SECTION = 'security';

function securitySection(home: Home, node: string): Record<string, unknown> {
  const section = new NodeConfigFile(home, node).section(SECURITY_SECTION);
  return isObject(section) ? section : {};
}

function updateSecuritySection(home: Home, node: string, update: (section: Record<string, unknown>) => Record<string, unknown>): void {
  new NodeConfigFile(home, node).updateSection(SECURITY_SECTION, (section) => update(isObject(section) ? section : {}));
}

/** The identity node `node` is configured to run as (`node create --identity`), if any. */
export function configuredNodeIdentity(home: Home, node: string): string | undefined {
  const { identity } = securitySection(home, node);
  return typeof identity === 'string' ? validateRegistryName('identity', identity) : undefined;
}

/** Records that node `node` runs as identity `identity` (read when the node starts). */
export function setConfiguredNodeIdentity(home: Home, node: string, identity: string): void {
  const name = validateRegistryName('identity', identity);
  updateSecuritySection(home, node, (section) => ({ ...section, identity: name }));
}

/**
 * The projects, besides its own, whose authorities node `node` trusts (`trust`); empty by
 * default. Credentials of these projects give their members attributes that only a policy
 * naming `subject.project` (or `subject.authority`) sees; default rules ignore them.
 */
export function configuredTrust(home: Home, node: string): readonly string[] {
  const { trust } = securitySection(home, node);
  if (!Array.isArray(trust)) return [];
  // A name that is no project of the home grants nothing (the node logs it); it never voids the rest.
  return trust.filter((p): p is string => typeof p === 'string');
}

/** Sets the projects, besides its own, whose authorities node `node` trusts (an empty list removes the setting). */
export function setConfiguredTrust(home: Home, node: string, projects: readonly string[]): void {
  const names = [...new Set(projects.map((p) => validateRegistryName('project', p)))];
  updateSecuritySection(home, node, ({ trust: _old, ...rest }) => (names.length > 0 ? { ...rest, trust: names } : rest));
}
