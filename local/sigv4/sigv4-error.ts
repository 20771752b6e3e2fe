/**
 * Why a SigV4 check refused a request. Each service maps `code` to its own wire error
 * (S3: `SignatureDoesNotMatch` XML with 403; KMS: `InvalidSignatureException` JSON with 400).
 */
export type SigV4ErrorCode =
  /** No `Authorization` header and no `X-Amz-Signature` query parameter. */
  | 'MissingAuthentication'
  /** The header or query parameters are present but cannot be parsed (field named in the message). */
  | 'MalformedAuthorization'
  /** The credential scope names another region than the one this endpoint serves. */
  | 'WrongRegion'
  /** The credential scope names another service than this endpoint. */
  | 'WrongService'
  /** The access key id is not one of the configured credentials. */
  | 'InvalidAccessKeyId'
  /** The signature computed with the configured secret differs from the one sent. */
  | 'SignatureDoesNotMatch'
  /** Header-signed request whose `X-Amz-Date` is further than the allowed skew from the server clock. */
  | 'RequestTimeTooSkewed'
  /** Presigned request used after `X-Amz-Date + X-Amz-Expires`. */
  | 'RequestExpired';

/** A refused SigV4 request: `code` says why, the message says what and where. */
export class SigV4Error extends Error {
  override readonly name = 'SigV4Error';

  constructor(
    readonly code: SigV4ErrorCode,
    message: string,
    /** Extra facts a service may put in its error body (e.g. S3's `ServerTime`, `Expires`). */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
