/** One access key pair a local endpoint accepts. */
export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Looks up the secret for an access key id; undefined when the id is unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/** How a service checks SigV4 on its requests. */
export interface SigV4VerifyOptions {
  /** The signing name of the service (`s3`, `kms`, `iot`, `iotdevicegateway` …). */
  readonly service: string;
  /** The region this endpoint serves; a credential scope naming another region is refused. */
  readonly region: string;
  /** The credentials accepted: a list, or a lookup for callers that keep them elsewhere. */
  readonly credentials: readonly SigV4Credentials[] | SecretLookup;
  /**
   * The server clock in milliseconds since the epoch (tests move it to expire presigned URLs).
   * @defaultValue `Date.now`
   */
  readonly now?: () => number;
  /**
   * How far `X-Amz-Date` of a header-signed request may be from the server clock.
   * @defaultValue 15 minutes, as AWS allows
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/signing-elements.html
   */
  readonly maxSkewMs?: number;
  /**
   * Encode the path twice in the canonical URI. Every service does except S3.
   * @defaultValue true
   */
  readonly doubleEncodePath?: boolean;
  /**
   * Query parameters added after signing and so left out of the canonical query (AWS IoT's
   * WebSocket URLs append `X-Amz-Security-Token` after signing).
   * @defaultValue none
   */
  readonly unsignedQueryParameters?: readonly string[];
}

/** The facts of a request whose signature checked out. */
export interface SigV4Identity {
  readonly accessKeyId: string;
  /** `X-Amz-Date` as sent (`YYYYMMDDTHHMMSSZ`). */
  readonly amzDate: string;
  /** When the request was signed, milliseconds since the epoch. */
  readonly signedAtMs: number;
  /** True for a presigned URL (signature in the query string). */
  readonly presigned: boolean;
  /** For presigned URLs: when the URL stops working, milliseconds since the epoch. */
  readonly expiresAtMs?: number;
  /** The payload hash the signature covers (`UNSIGNED-PAYLOAD`, `STREAMING-…`, or hex SHA-256). */
  readonly payloadHash: string;
  readonly signedHeaders: readonly string[];
}

/** The parts of an HTTP request the check needs (Node's `IncomingMessage` fits). */
export interface SigV4Request {
  readonly method: string;
  /** Path and query as sent, still percent-encoded (`IncomingMessage.url`). */
  readonly url: string;
  /** Lower-case header names (`IncomingMessage.headers`). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}
