/**
 * The credential attribute a project's authority sets to the member's role (`admin`,
 * `enroller` or `member`) when it issues a credential. Tickets and admins cannot set it, so a
 * node may decide on it (the `policy` resource type's default admits `role == "admin"` only).
 */
export const ROLE_ATTRIBUTE = 'role';
