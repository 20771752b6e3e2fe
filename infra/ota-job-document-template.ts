/**
 * The OTA job document template stored in the firmware bucket (`job-documents/ota-update.json`).
 * The worker fills the `{{...}}` fields per release; AWS IoT Jobs replaces the
 * `${aws:iot:s3-presigned-url:...}` placeholder with a presigned GET URL when a device fetches the
 * document (https://docs.aws.amazon.com/iot/latest/developerguide/create-manage-jobs.html#create-manage-jobs-presigned-URLs).
 * `sig-sha256-ecdsa` is the detached ECDSA P-256 signature the app checks (shared docs/esp32-image.md).
 *
 * The bucket is a `{{bucket}}` field too, not a Terraform reference: a reference inside the
 * placeholder's `${...}` would be rendered by cdktf as a bare expression (it treats the escaped
 * `$${` as an open interpolation), so the template stays free of references.
 */
export const OTA_JOB_DOCUMENT_TEMPLATE_NAME = 'ota-update.json';

/** The `{{...}}` fields the worker fills. */
export const OTA_JOB_DOCUMENT_FIELDS = [
  'version',
  'bucket',
  'objectKey',
  'size',
  'sha256',
  'signature',
] as const;

/** The template's JSON text as AWS should store it (unescaped). */
export function otaJobDocumentTemplate(): string {
  const document = {
    operation: 'ota-update',
    files: [
      {
        version: '{{version}}',
        url: '${aws:iot:s3-presigned-url:https://s3.amazonaws.com/{{bucket}}/{{objectKey}}}',
        size: '{{size}}',
        sha256: '{{sha256}}',
        'sig-sha256-ecdsa': '{{signature}}',
      },
    ],
  };
  return JSON.stringify(document, null, 2);
}
