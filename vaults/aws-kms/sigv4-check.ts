import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** What a SigV4 check expects of a request. */
export interface SigV4Expectation {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}

/**
 * Checks an AWS Signature Version 4 `Authorization` header the way the service does:
 * credential scope (access key id, date, region, service), then the signature over the
 * canonical request (method, path, query, signed headers, SHA-256 of the body).
 * Returns null when valid, else a one-line reason. Used by the local KMS test endpoint.
 */
export function checkSigV4(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  expect: SigV4Expectation,
): string | null {
  const auth = headers.authorization;
  if (typeof auth !== 'string') return 'missing Authorization header';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'malformed SigV4 Authorization header';
  const [, akid, date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  if (akid !== expect.accessKeyId) return `unknown access key id ${akid}`;
  if (region !== expect.region) return `credential scope region ${region}, expected ${expect.region}`;
  if (service !== expect.service) return `credential scope service ${service}, expected ${expect.service}`;
  const amzDate = headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(date)) return 'x-amz-date missing or not matching the credential scope';
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  const canonicalHeaders = names.map((n) => {
    const v = headers[n];
    const value = Array.isArray(v) ? v.join(',') : (v ?? '');
    return `${n}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const [path = '/', query = ''] = url.split('?');
  const canonicalQuery = query === '' ? '' : query.split('&').sort().join('&');
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const canonicalRequest = [method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${expect.secretAccessKey}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'SigV4 signature does not match';
  return null;
}
