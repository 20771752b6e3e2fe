import type { SigV4VerifyOptions } from '../sigv4';

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  /**
   * Address to listen on; the local cloud listens on loopback only.
   * @defaultValue `'127.0.0.1'`
   */
  readonly host?: string;
  /** @defaultValue 0 (an ephemeral port) */
  readonly port?: number;
  /** The local cloud's state directory; objects live in `<stateDir>/s3/`. */
  readonly stateDir: string;
  /** The region requests must be signed for (the stack's region). */
  readonly region: string;
  /** The access keys accepted (from `local-cloud.json`). */
  readonly credentials: SigV4VerifyOptions['credentials'];
  /**
   * The server clock, milliseconds since the epoch; tests move it to expire presigned URLs.
   * @defaultValue `Date.now`
   */
  readonly now?: () => number;
  /**
   * Count a plain-HTTP request from a loopback address as `aws:SecureTransport = true` when
   * evaluating bucket policies. The local endpoint is HTTP on 127.0.0.1 (the bytes never leave
   * the machine, and the SDKs take an `http://` endpoint without extra CA setup), so without
   * this the stack's TLS-only policy would refuse every request. Set it to false to see that
   * policy enforced.
   * @defaultValue true
   */
  readonly loopbackCountsAsTls?: boolean;
  /** @defaultValue silent */
  readonly logger?: ServerLog;
}

/** Where a server logs (a pino logger fits, and so does the local cloud's log). */
export interface ServerLog {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
