/**
 * The OTA job document: what a device receives in an AWS IoT job and parses with fixed buffers
 * (`firmware/components/fleet_core`). Flat and small on purpose; every string has a maximum
 * length (below, and in `docs/job-document.md`) that the C side sizes its buffers by.
 *
 * Shape (schema version 1):
 * ```json
 * { "version": 1, "operation": "ota", "releaseId": "v1_4_0-3f9a0c1d2e4b5a69",
 *   "firmware": { "version": "1.4.0", "descriptorVersion": "1cd5752", "secureVersion": 0,
 *     "chip": "esp32", "size": 606208, "sha256": "…64 hex…",
 *     "url": "${aws:iot:s3-presigned-url-v2:https://s3.eu-west-1.amazonaws.com/bucket/key}",
 *     "signature": "MEUCIQ…", "signatureAlgorithm": "sig-sha256-ecdsa", "keyId": "fleet-dev-1" } }
 * ```
 * AWS stores the document as given (at most 32,768 characters: GetJobDocument reference,
 * https://docs.aws.amazon.com/iot/latest/apireference/API_GetJobDocument.html) and replaces the
 * placeholder in `firmware.url` with a presigned URL when the device fetches it.
 */
import { z } from 'zod';
import { canonicalJson } from './canonical-json';
import { DocumentInvalidError } from './errors/document-invalid-error';
import { parseJsonText } from './parse-json-text';
import {
  parsePresignedUrlPlaceholder,
  presignedUrlPlaceholder,
  S3_OBJECT_URL_MAX,
} from './presigned-url-placeholder';
import {
  APP_DESC_TEXT_MAX,
  DETACHED_SIGNATURE_ALGORITHM,
  DETACHED_SIGNATURE_BASE64_MAX,
  fields,
  KEY_ID_MAX,
  RELEASE_ID_MAX,
  releaseIdOf,
  type ReleaseManifest,
} from './release-manifest';
import { defaultIssueMessage, schemaProblems } from './schema-problems';

/** Schema version of the job document (its `version` field). Devices refuse other values. */
export const JOB_DOCUMENT_VERSION = 1;
/** The only operation of version 1. */
export const JOB_DOCUMENT_OPERATION = 'ota';
/** AWS IoT's limit on a job document, in characters (GetJobDocument: "Maximum length of 32768"). */
export const AWS_JOB_DOCUMENT_MAX = 32_768;

/**
 * Maximum lengths, in bytes of UTF-8 (all fields are ASCII), that the C parser sizes its buffers
 * by. `url` is measured as the device receives it — a presigned HTTPS URL carries a session token
 * and can run past 1,500 characters — so the device buffer is 4,096; the placeholder we write is
 * shorter (`S3_OBJECT_URL_MAX` + 33).
 */
export const JOB_DOCUMENT_LIMITS = {
  operation: 15,
  releaseId: RELEASE_ID_MAX,
  'firmware.version': APP_DESC_TEXT_MAX,
  'firmware.descriptorVersion': APP_DESC_TEXT_MAX,
  'firmware.chip': 15,
  'firmware.sha256': 64,
  'firmware.url': 4096,
  'firmware.signature': DETACHED_SIGNATURE_BASE64_MAX,
  'firmware.signatureAlgorithm': 31,
  'firmware.keyId': KEY_ID_MAX,
  /** The whole document as the device receives it (with the URL substituted). */
  document: 6144,
} as const;

const URL_PATTERN = /^https?:\/\/[^\s"\\]+$/;

const firmwareUrl = z
  .string()
  .max(JOB_DOCUMENT_LIMITS['firmware.url'], {
    error: `expected at most ${JOB_DOCUMENT_LIMITS['firmware.url']} characters`,
  })
  .refine(v => parsePresignedUrlPlaceholder(v) !== null || URL_PATTERN.test(v), {
    error:
      'expected a presigned-URL placeholder "${aws:iot:s3-presigned-url-v2:https://…}" or an http(s) URL',
  });

const jobDocumentSchema = z.strictObject({
  version: z.literal(JOB_DOCUMENT_VERSION, {
    error: `expected ${JOB_DOCUMENT_VERSION} (the only job document version this code reads)`,
  }),
  operation: z.literal(JOB_DOCUMENT_OPERATION, { error: `expected "${JOB_DOCUMENT_OPERATION}"` }),
  releaseId: z
    .string()
    .min(1)
    .max(RELEASE_ID_MAX, { error: `expected at most ${RELEASE_ID_MAX} characters` })
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'expected letters, digits, "_" and "-" only' }),
  firmware: z.strictObject({
    version: fields.releaseVersion,
    descriptorVersion: fields.appDescText,
    secureVersion: fields.u32,
    chip: fields.chip,
    size: fields.positiveU32,
    sha256: fields.sha256,
    url: firmwareUrl,
    signature: fields.signatureValue,
    signatureAlgorithm: z.literal(DETACHED_SIGNATURE_ALGORITHM, {
      error: `expected "${DETACHED_SIGNATURE_ALGORITHM}"`,
    }),
    keyId: fields.keyId,
  }),
});

/** A parsed, checked OTA job document (schema version 1). */
export type JobDocument = z.infer<typeof jobDocumentSchema>;

/**
 * Reads a job document from JSON text or a parsed value, as a device or the local cloud would.
 * Unknown fields are refused (a new field means a new `version`); the C firmware, by contrast,
 * ignores unknown fields so that it keeps working if a field is added compatibly.
 *
 * @throws DocumentInvalidError naming each bad field (`firmware.size: expected a positive integer`)
 */
export function parseJobDocument(input: unknown): JobDocument {
  const parsed = parseJsonText(input);
  if ('problem' in parsed) throw new DocumentInvalidError('job document', [parsed.problem]);
  if (typeof input === 'string' && Buffer.byteLength(input, 'utf8') > AWS_JOB_DOCUMENT_MAX) {
    throw new DocumentInvalidError('job document', [
      {
        field: '',
        message: `is ${Buffer.byteLength(input, 'utf8')} bytes, over AWS's ${AWS_JOB_DOCUMENT_MAX}`,
      },
    ]);
  }
  const result = jobDocumentSchema.safeParse(parsed.value, { error: defaultIssueMessage });
  if (!result.success)
    throw new DocumentInvalidError('job document', schemaProblems(result.error.issues));
  return result.data;
}

/** The document as the compact canonical JSON text given to `CreateJob`'s `document`. */
export function serializeJobDocument(document: JobDocument): string {
  const text = canonicalJson(parseJobDocument(document));
  if (text.length > AWS_JOB_DOCUMENT_MAX) {
    throw new DocumentInvalidError('job document', [
      { field: '', message: `is ${text.length} characters, over AWS's ${AWS_JOB_DOCUMENT_MAX}` },
    ]);
  }
  return text;
}

/**
 * The job document for a release. `objectUrl` is the S3 object URL of the signed image (from
 * `s3ObjectUrl`); it goes into the document wrapped in the presigned-URL placeholder.
 *
 * @throws DocumentInvalidError if the manifest's values do not fit the document's limits
 */
export function buildJobDocument(
  manifest: ReleaseManifest,
  target: { objectUrl: string },
): JobDocument {
  if (
    target.objectUrl.length > S3_OBJECT_URL_MAX ||
    !/^https:\/\/[^\s{}]+$/.test(target.objectUrl)
  ) {
    throw new DocumentInvalidError('job document', [
      {
        field: 'firmware.url',
        message: `expected an https S3 object URL of at most ${S3_OBJECT_URL_MAX} characters`,
      },
    ]);
  }
  return parseJobDocument({
    version: JOB_DOCUMENT_VERSION,
    operation: JOB_DOCUMENT_OPERATION,
    releaseId: releaseIdOf(manifest),
    firmware: {
      version: manifest.version,
      descriptorVersion: manifest.descriptorVersion,
      secureVersion: manifest.secureVersion,
      chip: manifest.chip,
      size: manifest.size,
      sha256: manifest.sha256,
      url: presignedUrlPlaceholder(target.objectUrl),
      signature: manifest.signature.value,
      signatureAlgorithm: manifest.signature.algorithm,
      keyId: manifest.signature.keyId,
    },
  });
}
