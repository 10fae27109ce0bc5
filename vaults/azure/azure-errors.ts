import {
  AbortedError, InvalidInputError, IoError, NotFoundError, SymbolonError, UnauthorizedError,
} from '../../core/errors.js';

/** What was being done when a Key Vault call failed. */
export interface AzureCallContext {
  /** Key Vault permission the call needs: 'create', 'get', 'sign', 'delete'. */
  readonly permission: string;
  readonly vaultUrl: string;
  readonly keyName?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Turns an Azure SDK error (RestError, AuthenticationError, AbortError ...) into a
 * SymbolonError (origin 'vault') naming the vault, the key and the permission involved.
 */
export function mapAzureError(error: unknown, ctx: AzureCallContext): SymbolonError {
  if (error instanceof SymbolonError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; code?: string; statusCode?: number };
  const key = ctx.keyName ? ` key ${ctx.keyName}` : '';
  const opts = { cause: error };
  if (e.name === 'AbortError') return new AbortedError('vault', `Azure Key Vault ${ctx.permission} aborted`, opts);
  if (e.code && NETWORK_CODES.has(e.code)) return new IoError('vault', `Azure Key Vault ${ctx.vaultUrl} is unreachable (${e.code})`, opts);
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
    return new UnauthorizedError('vault', `no Azure credential available for ${ctx.vaultUrl} (${e.name}); sign in (az login) or set up a managed identity`, opts);
  }
  switch (e.statusCode) {
    case 401:
      return new UnauthorizedError('vault', `Azure Key Vault ${ctx.vaultUrl} rejected the credential`, opts);
    case 403:
      return new UnauthorizedError('vault', `Azure Key Vault ${ctx.vaultUrl} denied ${ctx.permission} on${key || ' keys'}: grant keys/${ctx.permission} (access policy) or a Key Vault Crypto role`, opts);
    case 404:
      return new NotFoundError('vault', `Azure Key Vault${key || ' key'} not found in ${ctx.vaultUrl}`, opts);
    case 409:
      return new InvalidInputError('vault', `Azure Key Vault${key} conflicts with a deleted key of the same name; purge or recover it`, opts);
    case 400:
      return new InvalidInputError('vault', `Azure Key Vault rejected ${ctx.permission} on${key || ' keys'} as invalid (${e.code ?? 'BadParameter'})`, opts);
    case 429:
      return new IoError('vault', `Azure Key Vault ${ctx.vaultUrl} still throttling ${ctx.permission} after retries`, opts);
    default:
      break;
  }
  if (e.statusCode !== undefined && e.statusCode >= 500) return new IoError('vault', `Azure Key Vault ${ctx.vaultUrl} failed ${ctx.permission} (HTTP ${e.statusCode})`, opts);
  return new IoError('vault', `Azure Key Vault ${ctx.permission} on${key || ' keys'} failed (${e.code ?? e.name ?? 'error'})`, opts);
}
