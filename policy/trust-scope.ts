/** A project whose authority a node trusts. */
export interface TrustedProject {
  /** The project's name, as `subject.project` shows it. */
  readonly name: string;
  /** Identifier of the project's authority (the issuer of its credentials). */
  readonly authority: string;
  /** True for the node's own project: default rules accept only its credentials. */
  readonly own: boolean;
}

/**
 * Whose credentials count on a node, and for which project each authority speaks. Built
 * from the node's membership and its `trust` setting; immutable (a reload builds a new one).
 */
export interface TrustScope {
  /** The project `authority` speaks for, or undefined when the node does not trust it. */
  projectOf(authority: string): string | undefined;
  /** True when `authority` is the authority of the node's own project. */
  isOwn(authority: string): boolean;
  /** Every trusted project, own first. */
  readonly projects: readonly TrustedProject[];
}

/** A scope that trusts nobody (a node in no project). */
export const NO_TRUST: TrustScope = trustScope([]);

/**
 * The scope of the given projects. An authority listed twice speaks for the first listing
 * that is `own`, else for the first listing.
 */
export function trustScope(projects: readonly TrustedProject[]): TrustScope {
  const ordered = [...projects.filter((p) => p.own), ...projects.filter((p) => !p.own)].map((p) => Object.freeze({ ...p }));
  const byAuthority = new Map<string, TrustedProject>();
  for (const project of ordered) if (!byAuthority.has(project.authority)) byAuthority.set(project.authority, project);
  return Object.freeze({
    projects: Object.freeze(ordered),
    projectOf: (authority: string) => byAuthority.get(authority)?.name,
    isOwn: (authority: string) => byAuthority.get(authority)?.own === true,
  });
}
