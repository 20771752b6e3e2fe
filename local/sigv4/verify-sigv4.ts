/**
 * Checks AWS Signature Version 4 on an incoming request, signed either in the `Authorization`
 * header or in the query string (a presigned URL), against the configured credentials.
 * Service-neutral: S3, KMS, the IoT control plane and IoT WebSocket URLs all call this with
 * their own signing name and map {@link SigV4Error} codes to their own error shapes.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-request.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import { timingSafeEqual } from 'node:crypto';
import {
  SIGV4_ALGORITHM,
  buildCanonicalRequest,
  buildStringToSign,
  canonicalHeaders,
  canonicalQuery,
  canonicalUri,
  computeSignature,
  deriveSigningKey,
  parseQuery,
  type QueryParameter,
} from './canonical-request';
import { SigV4Error } from './sigv4-error';
import type {
  SecretLookup,
  SigV4Identity,
  SigV4Request,
  SigV4VerifyOptions,
} from './sigv4-options';

/** AWS allows 15 minutes between the signing time and its own clock. */
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
/** A presigned URL lives at most seven days (`X-Amz-Expires` ≤ 604800). */
const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

/**
 * Presigned URLs that verified, by everything the signature covers (and the secret and options
 * used): a device downloading a release sends the same URL with a new `Range` for every chunk,
 * and the signature check is a pure function of these inputs. Time checks still run per request.
 */
const verifiedPresigned = new Map<string, VerifiedPresigned>();
const MAX_VERIFIED_PRESIGNED = 4096;

/** What a verified presigned URL needs re-checked on reuse: the key, signed headers, time. */
interface VerifiedPresigned {
  readonly secret: string;
  readonly headersBlock: string;
  readonly expiresSeconds: number;
  readonly identity: SigV4Identity;
}

/** Signature parameters, from the header or the query string. */
interface SignatureParts {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
}

/** Turn a credential list into a lookup (a list is what `local-cloud.json` carries). */
export function secretLookup(credentials: SigV4VerifyOptions['credentials']): SecretLookup {
  if (typeof credentials === 'function') return credentials;
  let lookup = lookups.get(credentials);
  if (!lookup) {
    const byId = new Map(credentials.map(c => [c.accessKeyId, c.secretAccessKey]));
    lookup = id => byId.get(id);
    lookups.set(credentials, lookup);
  }
  return lookup;
}
const lookups = new WeakMap<SigV4VerifyOptions['credentials'], SecretLookup>();

/** Refuse a presigned URL used after `X-Amz-Date + X-Amz-Expires` or signed too far ahead. */
function checkPresignedTime(
  amzDate: string,
  signedAtMs: number,
  expiresSeconds: number,
  now: number,
  maxSkewMs: number,
): number {
  const expiresAtMs = signedAtMs + expiresSeconds * 1000;
  if (now > expiresAtMs) {
    throw new SigV4Error('RequestExpired', 'Request has expired', {
      'X-Amz-Expires': String(expiresSeconds),
      Expires: new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ServerTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  }
  if (signedAtMs - now > maxSkewMs) {
    throw new SigV4Error(
      'RequestTimeTooSkewed',
      'presigned URL is signed in the future beyond the allowed clock skew',
      {
        RequestTime: amzDate,
        ServerTime: formatAmzDate(now),
      },
    );
  }
  return expiresAtMs;
}

function presignedCacheKey(
  request: SigV4Request,
  options: SigV4VerifyOptions,
  payloadHash: string | undefined,
): string {
  return [
    options.service,
    options.region,
    options.doubleEncodePath ?? true,
    (options.unsignedQueryParameters ?? []).join(','),
    payloadHash ?? '',
    request.method,
    request.url,
  ].join('\n');
}

/** `20250102T030405Z` → epoch milliseconds, or NaN when malformed. */
export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** Render epoch milliseconds as `X-Amz-Date` (used in error details). */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function headerValue(request: SigV4Request, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v : v?.[0];
}

function parseCredential(
  value: string,
  where: string,
): Omit<SignatureParts, 'signedHeaders' | 'signature' | 'amzDate'> {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1])) {
    throw new SigV4Error(
      'MalformedAuthorization',
      `${where}: Credential must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request, got "${value}"`,
    );
  }
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

function parseAuthorizationHeader(header: string, request: SigV4Request): SignatureParts {
  if (!header.startsWith(`${SIGV4_ALGORITHM} `)) {
    throw new SigV4Error(
      'MalformedAuthorization',
      `Authorization header: algorithm must be ${SIGV4_ALGORITHM}, got "${header.split(' ')[0]}"`,
    );
  }
  const fields = new Map<string, string>();
  for (const item of header.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = item.indexOf('=');
    if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw new SigV4Error(
      'MalformedAuthorization',
      'Authorization header: expected Credential=, SignedHeaders= and Signature= fields',
    );
  }
  const amzDate = headerValue(request, 'x-amz-date');
  if (!amzDate) {
    throw new SigV4Error(
      'MalformedAuthorization',
      'header x-amz-date is missing from a SigV4-signed request',
    );
  }
  return {
    ...parseCredential(credential, 'Authorization header'),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
  };
}

function queryValue(params: readonly QueryParameter[], name: string): string | undefined {
  for (const p of params) if (p.name === name) return p.value;
  return undefined;
}

const PRESIGNED_REQUIRED = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
];

function parsePresignedQuery(
  params: readonly QueryParameter[],
): SignatureParts & { expiresSeconds: number } {
  const missing = PRESIGNED_REQUIRED.filter(name => queryValue(params, name) === undefined);
  if (missing.length > 0) {
    throw new SigV4Error(
      'MalformedAuthorization',
      `presigned URL: query parameters missing: ${missing.join(', ')}`,
    );
  }
  const algorithm = queryValue(params, 'X-Amz-Algorithm');
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new SigV4Error(
      'MalformedAuthorization',
      `presigned URL: X-Amz-Algorithm must be ${SIGV4_ALGORITHM}, got "${algorithm}"`,
    );
  }
  const expiresRaw = queryValue(params, 'X-Amz-Expires') ?? String(MAX_PRESIGNED_EXPIRES_SECONDS);
  const expiresSeconds = Number(expiresRaw);
  if (
    !/^\d+$/.test(expiresRaw) ||
    expiresSeconds < 1 ||
    expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS
  ) {
    throw new SigV4Error(
      'MalformedAuthorization',
      `presigned URL: X-Amz-Expires must be an integer from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS}, got "${expiresRaw}"`,
    );
  }
  return {
    ...parseCredential(queryValue(params, 'X-Amz-Credential') ?? '', 'presigned URL'),
    signedHeaders: (queryValue(params, 'X-Amz-SignedHeaders') ?? '').split(';'),
    signature: queryValue(params, 'X-Amz-Signature') ?? '',
    amzDate: queryValue(params, 'X-Amz-Date') ?? '',
    expiresSeconds,
  };
}

/**
 * Verify the request's SigV4 signature.
 *
 * @param payloadHash - the hex SHA-256 of the body when the caller has it (services that sign
 *   the body, e.g. KMS); when omitted, the `x-amz-content-sha256` header is used as S3 does, and
 *   `UNSIGNED-PAYLOAD` for presigned URLs. The caller must still check the body against a hex
 *   hash taken from the header (see {@link SigV4Identity.payloadHash}).
 * @returns who signed and when.
 * @throws {@link SigV4Error} with the reason, in the order AWS checks: form, scope, key, time, signature.
 */
export function verifySigV4(
  request: SigV4Request,
  options: SigV4VerifyOptions,
  payloadHash?: string,
): SigV4Identity {
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  // Reuse of a presigned URL already verified: same signed inputs, same secret → same answer;
  // only the time checks depend on the moment of use.
  if (request.headers.authorization === undefined && request.url.includes('X-Amz-Signature=')) {
    const hit = verifiedPresigned.get(presignedCacheKey(request, options, payloadHash));
    if (hit && secretLookup(options.credentials)(hit.identity.accessKeyId) === hit.secret) {
      const block = canonicalHeaders(request.headers, hit.identity.signedHeaders);
      if ('block' in block && block.block === hit.headersBlock) {
        checkPresignedTime(
          hit.identity.amzDate,
          hit.identity.signedAtMs,
          hit.expiresSeconds,
          (options.now ?? Date.now)(),
          maxSkewMs,
        );
        return hit.identity;
      }
    }
  }
  const qIndex = request.url.indexOf('?');
  const rawPath = qIndex < 0 ? request.url : request.url.slice(0, qIndex);
  const params = parseQuery(qIndex < 0 ? '' : request.url.slice(qIndex + 1));
  const authorization = headerValue(request, 'authorization');
  const presigned =
    authorization === undefined && queryValue(params, 'X-Amz-Signature') !== undefined;
  if (authorization === undefined && !presigned) {
    throw new SigV4Error(
      'MissingAuthentication',
      'request carries no Authorization header and no X-Amz-Signature query parameter',
    );
  }
  const presignedParts = presigned ? parsePresignedQuery(params) : undefined;
  const parts: SignatureParts =
    presignedParts ?? parseAuthorizationHeader(authorization ?? '', request);

  const signedAtMs = parseAmzDate(parts.amzDate);
  if (Number.isNaN(signedAtMs)) {
    throw new SigV4Error(
      'MalformedAuthorization',
      `X-Amz-Date must be YYYYMMDDTHHMMSSZ, got "${parts.amzDate}"`,
    );
  }
  if (parts.amzDate.slice(0, 8) !== parts.date) {
    throw new SigV4Error(
      'MalformedAuthorization',
      `credential scope date ${parts.date} does not match X-Amz-Date ${parts.amzDate}`,
    );
  }
  if (parts.region !== options.region) {
    throw new SigV4Error(
      'WrongRegion',
      `the region '${parts.region}' is wrong; expecting '${options.region}'`,
      {
        Region: options.region,
      },
    );
  }
  if (parts.service !== options.service) {
    throw new SigV4Error(
      'WrongService',
      `credential should be scoped to correct service: '${options.service}', got '${parts.service}'`,
    );
  }
  const secret = secretLookup(options.credentials)(parts.accessKeyId);
  if (secret === undefined) {
    throw new SigV4Error(
      'InvalidAccessKeyId',
      `the access key id "${parts.accessKeyId}" is not one of the configured credentials`,
      {
        AWSAccessKeyId: parts.accessKeyId,
      },
    );
  }

  const now = (options.now ?? Date.now)();
  let expiresAtMs: number | undefined;
  if (presignedParts) {
    expiresAtMs = checkPresignedTime(
      parts.amzDate,
      signedAtMs,
      presignedParts.expiresSeconds,
      now,
      maxSkewMs,
    );
  } else if (Math.abs(now - signedAtMs) > maxSkewMs) {
    throw new SigV4Error(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      {
        RequestTime: parts.amzDate,
        ServerTime: formatAmzDate(now),
        MaxAllowedSkewMilliseconds: String(maxSkewMs),
      },
    );
  }

  const headers = canonicalHeaders(request.headers, parts.signedHeaders);
  if ('missing' in headers) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      `signed header "${headers.missing}" is not present in the request`,
    );
  }
  const hash =
    payloadHash ??
    (presigned
      ? (queryValue(params, 'X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD')
      : (headerValue(request, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD'));
  const unsigned = new Set([
    'X-Amz-Signature',
    ...(presigned ? (options.unsignedQueryParameters ?? []) : []),
  ]);
  const signedParams = presigned ? params.filter(p => !unsigned.has(p.name)) : params;
  const canonicalRequest = buildCanonicalRequest({
    method: request.method,
    uri: canonicalUri(rawPath, options.doubleEncodePath ?? true),
    query: canonicalQuery(signedParams),
    headersBlock: headers.block,
    signedHeaders: parts.signedHeaders,
    payloadHash: hash,
  });
  const scope = `${parts.date}/${parts.region}/${parts.service}/aws4_request`;
  const stringToSign = buildStringToSign(parts.amzDate, scope, canonicalRequest);
  const expected = computeSignature(
    deriveSigningKey(secret, parts.date, parts.region, parts.service),
    stringToSign,
  );
  const sent = Buffer.from(parts.signature, 'utf8');
  const computed = Buffer.from(expected, 'utf8');
  if (sent.length !== computed.length || !timingSafeEqual(sent, computed)) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: parts.accessKeyId,
        StringToSign: stringToSign,
        CanonicalRequest: canonicalRequest,
      },
    );
  }
  const verified: SigV4Identity = {
    accessKeyId: parts.accessKeyId,
    amzDate: parts.amzDate,
    signedAtMs,
    presigned,
    expiresAtMs,
    payloadHash: hash,
    signedHeaders: parts.signedHeaders,
  };
  if (presignedParts) {
    if (verifiedPresigned.size >= MAX_VERIFIED_PRESIGNED) verifiedPresigned.clear();
    verifiedPresigned.set(presignedCacheKey(request, options, payloadHash), {
      secret,
      headersBlock: headers.block,
      expiresSeconds: presignedParts.expiresSeconds,
      identity: verified,
    });
  }
  return verified;
}
