// SigV4 verification shared by every local AWS endpoint (S3, KMS, the IoT control plane, IoT
// WebSocket URLs). Signing is left out: clients sign with the official SDKs.
export { verifySigV4, secretLookup, parseAmzDate, formatAmzDate } from './verify-sigv4';
export { SigV4Error, type SigV4ErrorCode } from './sigv4-error';
export type {
  SigV4Credentials,
  SigV4Identity,
  SigV4Request,
  SigV4VerifyOptions,
  SecretLookup,
} from './sigv4-options';
export { EMPTY_SHA256, uriEncode } from './canonical-request';
