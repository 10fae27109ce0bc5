import { InvalidInputError, UnauthorizedError } from '../../core/errors.js';

/** Environment variable that must be '1' for `insecureTestEndpoint` to be accepted. */
export const AZURE_INSECURE_TEST_ENV = 'SYMBOLON_AZURE_INSECURE_TEST';

/**
 * What the CLI persists for an Azure Key Vault vault: plain JSON, no secrets.
 * Credentials come from @azure/identity's DefaultAzureCredential at run time.
 */
export interface AzureKeyVaultConfig {
  /** e.g. 'https://my-vault.vault.azure.net'. */
  readonly vaultUrl: string;
  /** An existing P-256 key to use. */
  readonly keyName?: string;
  /** Pins `keyName` to one version; default: its latest version. */
  readonly keyVersion?: string;
  /**
   * TESTS ONLY: talk plain HTTP to a loopback endpoint, skip the challenge resource
   * check and use a fixed test token. Refused unless the vault URL is on loopback and
   * SYMBOLON_AZURE_INSECURE_TEST=1 is set in the environment.
   */
  readonly insecureTestEndpoint?: boolean;
}

const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Validates a config read from the home (or built from CLI flags); throws InvalidInputError. */
export function parseAzureConfig(input: unknown): AzureKeyVaultConfig {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('vault', 'azure vault config must be an object');
  const c = input as Record<string, unknown>;
  if (typeof c.vaultUrl !== 'string') throw new InvalidInputError('vault', 'azure vault needs a vault URL');
  let url: URL;
  try { url = new URL(c.vaultUrl); } catch { throw new InvalidInputError('vault', `azure vault URL is not a URL: ${c.vaultUrl}`); }
  if (url.username || url.password || url.search || url.hash) throw new InvalidInputError('vault', 'azure vault URL must be a plain https://NAME.vault.azure.net address');
  const insecure = c.insecureTestEndpoint === true;
  if (c.insecureTestEndpoint !== undefined && typeof c.insecureTestEndpoint !== 'boolean') throw new InvalidInputError('vault', 'azure insecureTestEndpoint must be a boolean');
  if (insecure) {
    if (process.env[AZURE_INSECURE_TEST_ENV] !== '1') throw new UnauthorizedError('vault', `azure insecureTestEndpoint is for tests only and needs ${AZURE_INSECURE_TEST_ENV}=1`);
    if (!LOOPBACK.has(url.hostname)) throw new UnauthorizedError('vault', 'azure insecureTestEndpoint only reaches a loopback address');
  } else if (url.protocol !== 'https:') {
    throw new InvalidInputError('vault', `azure vault URL must use https, got ${url.protocol}`);
  }
  for (const k of ['keyName', 'keyVersion'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'string' || !KEY_NAME.test(c[k] as string))) throw new InvalidInputError('vault', `azure ${k} must be 1-127 letters, digits or dashes`);
  }
  if (c.keyVersion !== undefined && c.keyName === undefined) throw new InvalidInputError('vault', 'azure keyVersion needs keyName');
  return {
    vaultUrl: url.origin, keyName: c.keyName as string | undefined, keyVersion: c.keyVersion as string | undefined,
    insecureTestEndpoint: insecure || undefined,
  };
}
