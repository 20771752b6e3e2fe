/**
 * The OTA job document template stored in the firmware bucket (`job-documents/ota-update.json`).
 * The worker fills the `{{...}}` fields per release (or builds the document itself); AWS IoT Jobs replaces the
 * `${aws:iot:s3-presigned-url:...}` placeholder with a presigned GET URL when a device fetches the
 * document (https://docs.aws.amazon.com/iot/latest/developerguide/create-manage-jobs.html#create-manage-jobs-presigned-URLs).
 * `sig-sha256-ecdsa` is the detached ECDSA P-256 signature the app checks (shared docs/esp32-image.md).
 *
 * The bucket is a `{{bucket}}` field too, not a Terraform reference: a reference inside the
 * placeholder's `${...}` would be rendered by cdktf as a bare expression (it treats the escaped
 * `$${` as an open interpolation), so the template stays free of references.
 */
export const OTA_JOB_DOCUMENT_TEMPLATE_NAME = 'ota-update.json';

/** The `{{...}}` fields the worker fills (numbers are filled as JSON numbers, without quotes). */
export const OTA_JOB_DOCUMENT_FIELDS = [
  'releaseId',
  'version',
  'descriptorVersion',
  'secureVersion',
  'chip',
  'size',
  'sha256',
  'region',
  'bucket',
  'objectKey',
  'signature',
  'keyId',
] as const;

/**
 * The template's JSON text as AWS should store it (unescaped): schema version 1 of
 * `docs/job-document.md` (`buildJobDocument` in `ota/job-document.ts` makes the real documents).
 */
export function otaJobDocumentTemplate(): string {
  const document = {
    version: 1,
    operation: 'ota',
    releaseId: '{{releaseId}}',
    firmware: {
      version: '{{version}}',
      descriptorVersion: '{{descriptorVersion}}',
      secureVersion: '{{secureVersion}}',
      chip: '{{chip}}',
      size: '{{size}}',
      sha256: '{{sha256}}',
      url: '${aws:iot:s3-presigned-url-v2:https://s3.{{region}}.amazonaws.com/{{bucket}}/{{objectKey}}}',
      signature: '{{signature}}',
      signatureAlgorithm: 'sig-sha256-ecdsa',
      keyId: '{{keyId}}',
    },
  };
  return JSON.stringify(document, null, 2);
}
