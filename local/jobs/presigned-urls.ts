/**
 * What AWS IoT Jobs does to a job document before a device sees it: every
 * `${aws:iot:s3-presigned-url[-v2]:<S3 object URL>}` placeholder becomes a presigned GET URL valid
 * for `presignedUrlConfig.expiresInSec` (default 3600)
 * (https://docs.aws.amazon.com/iot/latest/developerguide/create-manage-jobs.html#create-manage-jobs-presigned-URLs).
 * The presigning itself is injected (the local S3 endpoint and credentials live elsewhere).
 */

const PLACEHOLDER = /\$\{aws:iot:s3-presigned-url(?:-v2)?:(https:\/\/[^{}\s]+)\}/g;

/** Presigns a GET of the object an S3 URL names, valid for `expiresInSec`. */
export type PresignObjectUrl = (objectUrl: string, expiresInSec: number) => Promise<string>;

/** `https://s3[.<region>].amazonaws.com/<bucket>/<key>` or `https://<bucket>.s3[.<region>].amazonaws.com/<key>` → bucket and key. */
export function parseS3ObjectUrl(objectUrl: string): {
  bucket: string;
  key: string;
  region?: string;
} {
  const url = new URL(objectUrl);
  const host = /^(?:(.+)\.)?s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname);
  if (!host)
    throw new Error(
      `${objectUrl} is not an S3 object URL (https://s3.<region>.amazonaws.com/<bucket>/<key>)`,
    );
  const path = url.pathname.split('/').slice(1).map(decodeURIComponent);
  if (host[1]) return { bucket: host[1], key: path.join('/'), region: host[2] };
  const [bucket, ...key] = path;
  if (!bucket || key.length === 0) throw new Error(`${objectUrl} names no bucket and key`);
  return { bucket, key: key.join('/'), region: host[2] };
}

/** Whether a document text holds a placeholder (most do not: skip the JSON walk). */
export function hasPresignedUrlPlaceholder(document: string): boolean {
  return document.includes('${aws:iot:s3-presigned-url');
}

/** The document as a JSON value with every placeholder in its strings replaced. */
export async function substitutePresignedUrls(
  document: string,
  expiresInSec: number,
  presign: PresignObjectUrl,
): Promise<unknown> {
  const parsed: unknown = JSON.parse(document);
  if (!hasPresignedUrlPlaceholder(document)) return parsed;
  const walk = async (value: unknown): Promise<unknown> => {
    if (typeof value === 'string') {
      const urls = [...value.matchAll(PLACEHOLDER)];
      let out = value;
      for (const m of urls) out = out.replace(m[0], await presign(m[1], expiresInSec));
      return out;
    }
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    if (value && typeof value === 'object') {
      const entries = await Promise.all(
        Object.entries(value).map(async ([k, v]) => [k, await walk(v)] as const),
      );
      return Object.fromEntries(entries);
    }
    return value;
  };
  return walk(parsed);
}
