/**
 * Every error code `ota/` can raise, in one place (as BullMQ keeps its numeric codes in
 * `src/enums/error-code.ts`). The string values are stable: they appear in CLI output, job
 * failure reasons and logs. Add new codes in the section of the module that raises them.
 */
export enum OtaErrorCode {
  // Image format (ota/app-image)
  ImageTruncated = 'IMAGE_TRUNCATED',
  ImageInvalid = 'IMAGE_INVALID',

  // Secure Boot V2 and signatures (ota/secure-boot, ota/signing)
  SignatureInvalid = 'SIGNATURE_INVALID',
  SigningFailed = 'SIGNING_FAILED',
  KeyUnsupported = 'KEY_UNSUPPORTED',
  SignatureSectorFull = 'SIGNATURE_SECTOR_FULL',

  // Documents and plans (ota/job-document, ota/rollout-plan, ota/release-manifest)
  DocumentInvalid = 'DOCUMENT_INVALID',
  PlanInvalid = 'PLAN_INVALID',

  // Version policy (ota/version-policy)
  VersionNotNewer = 'VERSION_NOT_NEWER',
  SecureVersionRollback = 'SECURE_VERSION_ROLLBACK',
}
