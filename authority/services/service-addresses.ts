/** The authority's network services. */
export type AuthorityServiceName = 'enrollment' | 'credentials' | 'tickets' | 'members' | 'audit' | 'revocations' | 'signers' | 'replicas';

/** Every authority service, in start order. */
export const AUTHORITY_SERVICE_NAMES: readonly AuthorityServiceName[] = ['enrollment', 'credentials', 'tickets', 'members', 'audit', 'revocations', 'signers', 'replicas'];

/** Worker addresses of the services on the project node (`/service/enrollment` ...). */
export const DEFAULT_AUTHORITY_SERVICE_ADDRESSES: Readonly<Record<AuthorityServiceName, string>> = Object.freeze({
  enrollment: 'enrollment',
  credentials: 'credentials',
  tickets: 'tickets',
  members: 'members',
  audit: 'audit',
  revocations: 'revocations',
  signers: 'signers',
  replicas: 'replicas',
});
