/**
 * The AWS IoT Jobs presigned-URL placeholder. A job document cannot hold a presigned S3 URL
 * (it would expire); it holds a placeholder that AWS IoT replaces with a freshly presigned GET
 * URL each time a device fetches the document, using the job's `presignedUrlConfig` role.
 *
 * Form, from the AWS IoT developer guide, "Managing jobs" → "Presigned URLs"
 * (https://docs.aws.amazon.com/iot/latest/developerguide/create-manage-jobs.html):
 *   `${aws:iot:s3-presigned-url-v2:https://s3.region.amazonaws.com/<bucket>/<code file>}`
 * The older `${aws:iot:s3-presigned-url:<url>}` form (CreateJobTemplate reference) is still read.
 * The `-v2` form expects the object key URL-encoded, which `s3ObjectUrl` does.
 */

/** The prefix we write (current form). */
export const PRESIGNED_URL_PLACEHOLDER_PREFIX = '${aws:iot:s3-presigned-url-v2:';
const PLACEHOLDER = /^\$\{aws:iot:s3-presigned-url(-v2)?:(https:\/\/[^{}\s]+)\}$/;

/** Longest S3 object URL we put inside a placeholder (content-addressed keys are short). */
export const S3_OBJECT_URL_MAX = 1024;

/** Where the firmware object lives. */
export interface S3ObjectLocation {
  /** AWS partition: `aws`, `aws-cn`, `aws-us-gov`. @defaultValue `aws` */
  readonly partition?: string;
  readonly region: string;
  readonly bucket: string;
  readonly key: string;
}

/** RFC 3986 unreserved characters stay; everything else (but `/` between segments) is %-encoded. */
function encodeS3Key(key: string): string {
  return key
    .split('/')
    .map(segment =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

/**
 * The path-style S3 object URL AWS's placeholder example uses:
 * `https://s3.<region>.amazonaws.com/<bucket>/<key>` (`.amazonaws.com.cn` in `aws-cn`).
 */
export function s3ObjectUrl(location: S3ObjectLocation): string {
  const domain = location.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://s3.${location.region}.${domain}/${location.bucket}/${encodeS3Key(location.key)}`;
}

/** `${aws:iot:s3-presigned-url-v2:<objectUrl>}`. */
export function presignedUrlPlaceholder(objectUrl: string): string {
  return `${PRESIGNED_URL_PLACEHOLDER_PREFIX}${objectUrl}}`;
}

/**
 * The S3 object URL inside a placeholder, or `null` if `text` is not a placeholder. The local
 * cloud uses this to do what AWS IoT does: replace the placeholder with a presigned URL.
 */
export function parsePresignedUrlPlaceholder(
  text: string,
): { objectUrl: string; v2: boolean } | null {
  const match = PLACEHOLDER.exec(text);
  return match === null ? null : { objectUrl: match[2], v2: match[1] !== undefined };
}
