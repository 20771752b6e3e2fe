/**
 * The pieces of AWS Signature Version 4 that both sides compute identically: the canonical
 * request, the string to sign and the signing key.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (S3: paths
 *   are encoded once, every other service encodes them twice)
 */
import { createHash, createHmac } from 'node:crypto';

/** The only algorithm we accept; SigV4A (`AWS4-ECDSA-P256-SHA256`) is not served locally. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** Hex SHA-256 of an empty body, which clients send for bodiless requests. */
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

const UNRESERVED_ONLY = /^[A-Za-z0-9\-._~]*$/;

/**
 * URI-encode per SigV4: every byte except the unreserved characters `A-Z a-z 0-9 - . _ ~` is
 * percent-encoded with upper-case hex (RFC 3986 section 2.3); `encodeURIComponent` leaves
 * `!'()*` alone, so those are added here.
 */
export function uriEncode(value: string): string {
  if (UNRESERVED_ONLY.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    ch => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Decode a percent-encoded component, or return it unchanged if it is not valid UTF-8. */
function safeDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The canonical URI of a request path as the client sent it (still percent-encoded).
 * S3 encodes each segment once; other services encode the already-encoded path again.
 */
export function canonicalUri(rawPath: string, doubleEncode: boolean): string {
  if (rawPath === '' || rawPath === '/') return '/';
  const segments = rawPath.split('/').map(segment => {
    const once = uriEncode(safeDecode(segment));
    return doubleEncode ? uriEncode(once) : once;
  });
  return segments.join('/');
}

/** One query parameter, decoded. Order and duplicates are kept as sent. */
export interface QueryParameter {
  readonly name: string;
  readonly value: string;
}

/** Split a raw query string (`a=1&b=%20`) into decoded parameters; `+` stays a literal plus. */
export function parseQuery(rawQuery: string): QueryParameter[] {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter(part => part !== '')
    .map(part => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      return { name: safeDecode(name), value: safeDecode(value) };
    });
}

/** Canonical query string: encoded names and values, sorted by name then value. */
export function canonicalQuery(params: readonly QueryParameter[]): string {
  return params
    .map(p => [uriEncode(p.name), uriEncode(p.value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** Header values as Node gives them (`string | string[] | undefined`), keyed by lower-case name. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Canonical headers block for the signed header names (already lower-case and sorted by the
 * client): `name:value\n` each, values trimmed with inner whitespace runs collapsed.
 * Returns undefined with the name of the first signed header that the request lacks.
 */
export function canonicalHeaders(
  headers: HeaderBag,
  signedHeaders: readonly string[],
): { block: string } | { missing: string } {
  let block = '';
  for (const name of signedHeaders) {
    const raw = headers[name];
    if (raw === undefined) return { missing: name };
    const values = typeof raw === 'string' ? [raw] : raw;
    block += `${name}:${values.map(v => v.trim().replace(/\s+/g, ' ')).join(',')}\n`;
  }
  return { block };
}

/** The canonical request, in the order the SigV4 specification lists its parts. */
export function buildCanonicalRequest(parts: {
  method: string;
  uri: string;
  query: string;
  headersBlock: string;
  signedHeaders: readonly string[];
  payloadHash: string;
}): string {
  return [
    parts.method,
    parts.uri,
    parts.query,
    parts.headersBlock,
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

/** `AWS4-HMAC-SHA256\n<amz-date>\n<scope>\n<hex sha256 of the canonical request>`. */
export function buildStringToSign(
  amzDate: string,
  scope: string,
  canonicalRequest: string,
): string {
  const hash = createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${hash}`;
}

/** Derived keys change once a day per credential; a busy endpoint reuses them (as the SDK's signer caches them). */
const signingKeys = new Map<string, Buffer>();
const MAX_CACHED_SIGNING_KEYS = 64;

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(
  secret: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  const cacheKey = `${secret}\n${date}\n${region}\n${service}`;
  const cached = signingKeys.get(cacheKey);
  if (cached) return cached;
  if (signingKeys.size >= MAX_CACHED_SIGNING_KEYS) signingKeys.clear();
  const key = computeSigningKey(secret, date, region, service);
  signingKeys.set(cacheKey, key);
  return key;
}

function computeSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** Hex HMAC-SHA256 of the string to sign with the signing key. */
export function computeSignature(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}
