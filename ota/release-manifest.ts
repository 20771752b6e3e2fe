/**
 * The release manifest: the facts about one signed firmware release, written beside the image in
 * the firmware bucket and read back by the worker, the console and the tests. Serialized as
 * canonical JSON (`canonical-json.ts`), so the same release always gives the same bytes and the
 * same digest.
 *
 * Field sizes follow the image format (`../shared/docs/esp32-image.md`): `project` and
 * `descriptorVersion` come from `esp_app_desc_t` (char[32], so at most 31 characters),
 * `secureVersion` is its u32 `secure_version`, a Secure Boot V2 sector holds at most 3 blocks.
 */
import { createHash } from 'node:crypto';
import semver from 'semver';
import { z } from 'zod';
import { canonicalJson } from './canonical-json';
import { DocumentInvalidError } from './errors/document-invalid-error';
import { parseJsonText } from './parse-json-text';
import { defaultIssueMessage, schemaProblems } from './schema-problems';

/** Schema version of the manifest; bump it when a field changes meaning. */
export const RELEASE_MANIFEST_VERSION = 1;

/**
 * Chips a release may target, by esptool's `--chip` name, with the `chip_id` of the image header
 * (`esp32-image.md`, "esp_image_header_t", offset 12).
 */
export const RELEASE_CHIPS = {
  esp32: 0x0000,
  esp32s2: 0x0002,
  esp32c3: 0x0005,
  esp32s3: 0x0009,
  esp32c2: 0x000c,
  esp32c6: 0x000d,
  esp32h2: 0x0010,
} as const;
export type ReleaseChip = keyof typeof RELEASE_CHIPS;
const CHIP_NAMES = Object.keys(RELEASE_CHIPS) as [ReleaseChip, ...ReleaseChip[]];

/**
 * The release chip name for an image header's `chip_id` (what `parseAppImage` reports as
 * `chipId`), or undefined for an id no release may target.
 */
export function releaseChipForId(chipId: number): ReleaseChip | undefined {
  return CHIP_NAMES.find(name => RELEASE_CHIPS[name] === chipId);
}

/** Name of the detached-signature convention of AWS IoT OTA (ECDSA P-256 over SHA-256, DER, base64). */
export const DETACHED_SIGNATURE_ALGORITHM = 'sig-sha256-ecdsa';

/** Secure Boot V2 block schemes: RSA-3072 (block version 2) and ECDSA (block version 3). */
export const SECURE_BOOT_SCHEMES = ['rsa3072', 'ecdsa-p256', 'ecdsa-p384'] as const;
export type SecureBootScheme = (typeof SECURE_BOOT_SCHEMES)[number];

/** Longest text that fits the char[32] fields of `esp_app_desc_t` with its NUL. */
export const APP_DESC_TEXT_MAX = 31;
/** Largest value of a u32 (image size, `secure_version`). */
export const U32_MAX = 0xffff_ffff;
/** A DER ECDSA P-256 signature is at most 72 bytes: 96 characters of base64. */
export const DETACHED_SIGNATURE_BASE64_MAX = 96;
/** Key ids are names, ARNs or fingerprints; the device compares them with its built-in keys. */
export const KEY_ID_MAX = 128;

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const KEY_ID = /^[A-Za-z0-9._:/+=@-]+$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Shared field schemas, also used by the job document. */
export const fields = {
  sha256: z.string().regex(HEX64, { error: 'expected 64 lowercase hex digits (a SHA-256)' }),
  positiveU32: z
    .number({ error: 'expected a positive integer' })
    .int({ error: 'expected a positive integer' })
    .min(1, { error: 'expected a positive integer' })
    .max(U32_MAX, { error: `expected a positive integer ≤ ${U32_MAX}` }),
  u32: z
    .number({ error: `expected an integer from 0 to ${U32_MAX}` })
    .int({ error: `expected an integer from 0 to ${U32_MAX}` })
    .min(0, { error: `expected an integer from 0 to ${U32_MAX}` })
    .max(U32_MAX, { error: `expected an integer from 0 to ${U32_MAX}` }),
  chip: z.enum(CHIP_NAMES, { error: `expected one of ${CHIP_NAMES.join(', ')}` }),
  releaseVersion: z
    .string({ error: 'expected a semantic version such as "1.4.0"' })
    .max(APP_DESC_TEXT_MAX, { error: `expected at most ${APP_DESC_TEXT_MAX} characters` })
    .refine(v => semver.valid(v) === v, {
      error: 'expected a semantic version such as "1.4.0" (MAJOR.MINOR.PATCH, no leading "v")',
    }),
  appDescText: z
    .string()
    .min(1)
    .max(APP_DESC_TEXT_MAX, {
      error: `expected at most ${APP_DESC_TEXT_MAX} characters (esp_app_desc_t char[32])`,
    })
    .refine(v => !v.includes('\0'), { error: 'must not contain NUL characters' }),
  keyId: z
    .string()
    .min(1)
    .max(KEY_ID_MAX, { error: `expected at most ${KEY_ID_MAX} characters` })
    .regex(KEY_ID, { error: 'expected letters, digits and . _ : / + = @ - only' }),
  signatureValue: z
    .string()
    .min(8, { error: 'expected a base64 DER ECDSA signature' })
    .max(DETACHED_SIGNATURE_BASE64_MAX, {
      error: `expected at most ${DETACHED_SIGNATURE_BASE64_MAX} characters (a DER ECDSA P-256 signature in base64)`,
    })
    .regex(BASE64, { error: 'expected base64 (A-Z a-z 0-9 + /, = padding)' }),
};

const releaseManifestSchema = z.strictObject({
  manifestVersion: z.literal(RELEASE_MANIFEST_VERSION, {
    error: `expected ${RELEASE_MANIFEST_VERSION} (the only manifest version this code reads)`,
  }),
  project: fields.appDescText,
  version: fields.releaseVersion,
  descriptorVersion: fields.appDescText,
  secureVersion: fields.u32,
  chip: fields.chip,
  size: fields.positiveU32,
  sha256: fields.sha256,
  secureBoot: z
    .array(
      z.strictObject({
        scheme: z.enum(SECURE_BOOT_SCHEMES, {
          error: `expected one of ${SECURE_BOOT_SCHEMES.join(', ')}`,
        }),
        keyDigest: fields.sha256,
      }),
    )
    .max(3, { error: 'expected at most 3 blocks (a Secure Boot V2 signature sector holds 3)' }),
  signature: z.strictObject({
    algorithm: z.literal(DETACHED_SIGNATURE_ALGORITHM, {
      error: `expected "${DETACHED_SIGNATURE_ALGORITHM}"`,
    }),
    keyId: fields.keyId,
    value: fields.signatureValue,
  }),
  source: z.strictObject({
    fileName: z.string().min(1).max(255, { error: 'expected at most 255 characters' }),
    size: fields.positiveU32,
    sha256: fields.sha256,
  }),
  createdAt: z
    .string()
    .regex(ISO_UTC, { error: 'expected an ISO 8601 UTC time such as "2026-11-23T02:00:00Z"' })
    .refine(v => !Number.isNaN(Date.parse(v)), { error: 'expected a real calendar time' }),
});

/**
 * One release, as stored. `sha256`/`size` describe the final signed image (what devices
 * download); `source` describes the unsigned input it was built from; `signature` is the detached
 * `sig-sha256-ecdsa` signature over `sha256`; `secureBoot` lists the Secure Boot V2 blocks in the
 * image's signature sector, in order (block index = array index).
 */
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

/** The fields a caller supplies; `manifestVersion` is filled in, `createdAt` may be a Date. */
export type ReleaseManifestInput = Omit<ReleaseManifest, 'manifestVersion' | 'createdAt'> & {
  createdAt: Date | string;
};

function validate(value: unknown): ReleaseManifest {
  const result = releaseManifestSchema.safeParse(value, { error: defaultIssueMessage });
  if (!result.success)
    throw new DocumentInvalidError('release manifest', schemaProblems(result.error.issues));
  return result.data;
}

/**
 * A checked manifest from its fields. `createdAt` is passed in (no clock inside `ota/`).
 *
 * @throws DocumentInvalidError listing every field that is wrong
 */
export function createReleaseManifest(input: ReleaseManifestInput): ReleaseManifest {
  // An invalid Date becomes a string the schema refuses (toISOString would throw a RangeError).
  let createdAt = input.createdAt;
  if (createdAt instanceof Date) {
    createdAt = Number.isNaN(createdAt.getTime()) ? 'Invalid Date' : createdAt.toISOString();
  }
  return validate({ ...input, manifestVersion: RELEASE_MANIFEST_VERSION, createdAt });
}

/**
 * Reads a manifest from JSON text or an already-parsed value.
 *
 * @throws DocumentInvalidError naming each bad field (`source.sha256: expected 64 lowercase hex digits`)
 */
export function parseReleaseManifest(input: unknown): ReleaseManifest {
  const parsed = parseJsonText(input);
  if ('problem' in parsed) throw new DocumentInvalidError('release manifest', [parsed.problem]);
  return validate(parsed.value);
}

/** The manifest as canonical JSON text (RFC 8785): the bytes to store and hash. */
export function serializeReleaseManifest(manifest: ReleaseManifest): string {
  return canonicalJson(validate(manifest));
}

/** SHA-256 (lowercase hex) of the canonical manifest bytes. */
export function releaseManifestDigest(manifest: ReleaseManifest): string {
  return createHash('sha256').update(serializeReleaseManifest(manifest), 'utf8').digest('hex');
}

/** Longest version part of a release id, so that a job id fits AWS's 64 characters. */
const RELEASE_ID_VERSION_MAX = 24;
/** Hex digits of the content digest in a release id (64 bits: collisions are not a concern). */
const RELEASE_ID_HASH_HEX = 16;
/** Longest release id: `v` + version part + `-` + hash. */
export const RELEASE_ID_MAX = 1 + RELEASE_ID_VERSION_MAX + 1 + RELEASE_ID_HASH_HEX;

/**
 * The release id: deterministic from what defines the release — the unsigned input image
 * (`source.sha256`) and the release version — and nothing else, so building the same input as
 * the same version twice (e.g. a retry after a crash) gives the same id even though a fresh
 * signature changes the signed image's bytes. Form: `v<version>-<16 hex>`, with characters other
 * than `[A-Za-z0-9-]` in the version replaced by `_` (e.g. `v1_4_0-3f9a0c1d2e4b5a69`); only
 * `[A-Za-z0-9_-]`, at most 42 characters, so it can be part of an AWS IoT job id.
 */
export function releaseIdOf(
  release: Pick<ReleaseManifest, 'version'> & { source: { sha256: string } },
): string {
  const digest = createHash('sha256')
    .update(
      canonicalJson({
        kind: 'esp32-fleet/release',
        sourceSha256: release.source.sha256,
        version: release.version,
      }),
    )
    .digest('hex')
    .slice(0, RELEASE_ID_HASH_HEX);
  const versionPart = release.version
    .replace(/[^A-Za-z0-9-]/g, '_')
    .slice(0, RELEASE_ID_VERSION_MAX);
  return `v${versionPart}-${digest}`;
}
