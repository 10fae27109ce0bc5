/** Bytes of export lines one `project.audit.export` reply carries at most (beyond one authority page). */
export const AUDIT_EXPORT_PAGE_BYTES = 1024 * 1024;

/** Records one `project.audit.show` reply carries at most. */
export const AUDIT_SHOW_PAGE_RECORDS = 1000;
