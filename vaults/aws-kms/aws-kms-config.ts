import { InvalidInputError } from '../../core/errors.js';

/**
 * What the CLI persists for an AWS KMS vault: plain JSON, no secrets. Credentials come
 * from the standard AWS chain (environment, shared config/SSO profile, container or
 * instance role) at run time.
 */
export interface AwsKmsVaultConfig {
  /** AWS region, e.g. 'eu-west-1'. */
  readonly region: string;
  /** Endpoint of a KMS-compatible service, e.g. 'http://127.0.0.1:4566'; default: the region's KMS. */
  readonly endpoint?: string;
  /** Existing keys to use: key ids, aliases ('alias/name') or ARNs. */
  readonly keyIds?: readonly string[];
  /** Waiting period of ScheduleKeyDeletion, 7 to 30 days (default 7). */
  readonly deletionWindowDays?: number;
}

const REGION = /^[a-z]{2}(-[a-z0-9]+)+-\d+$/;

/** Validates a config read from the home (or built from CLI flags); throws InvalidInputError. */
export function parseAwsKmsConfig(input: unknown): AwsKmsVaultConfig {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('vault', 'aws-kms vault config must be an object');
  const c = input as Record<string, unknown>;
  if (typeof c.region !== 'string' || !REGION.test(c.region)) throw new InvalidInputError('vault', `aws-kms region must look like 'eu-west-1', got ${JSON.stringify(c.region)}`);
  let endpoint: string | undefined;
  if (c.endpoint !== undefined) {
    if (typeof c.endpoint !== 'string') throw new InvalidInputError('vault', 'aws-kms endpoint must be a URL');
    let url: URL;
    try { url = new URL(c.endpoint); } catch { throw new InvalidInputError('vault', `aws-kms endpoint is not a URL: ${c.endpoint}`); }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidInputError('vault', `aws-kms endpoint must be http(s), got ${url.protocol}`);
    if (url.username || url.password) throw new InvalidInputError('vault', 'aws-kms endpoint must not embed credentials');
    endpoint = c.endpoint;
  }
  let keyIds: string[] | undefined;
  if (c.keyIds !== undefined) {
    if (!Array.isArray(c.keyIds) || !c.keyIds.every((k) => typeof k === 'string' && k.length > 0 && k.length <= 2048)) {
      throw new InvalidInputError('vault', 'aws-kms keyIds must be a list of key ids, aliases or ARNs');
    }
    keyIds = [...new Set(c.keyIds as string[])];
  }
  let deletionWindowDays: number | undefined;
  if (c.deletionWindowDays !== undefined) {
    if (!Number.isInteger(c.deletionWindowDays) || (c.deletionWindowDays as number) < 7 || (c.deletionWindowDays as number) > 30) {
      throw new InvalidInputError('vault', 'aws-kms deletionWindowDays must be an integer from 7 to 30');
    }
    deletionWindowDays = c.deletionWindowDays as number;
  }
  return { region: c.region, endpoint, keyIds, deletionWindowDays };
}
