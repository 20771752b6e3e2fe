// Signers (local PEM key, AWS KMS), signature primitives over digests, and the release pipeline.
// Left out: the internals of `rsa-pss.ts` and `ecdsa-p256.ts` (only their sign/verify functions
// are exported).
export * from './der-signature';
export * from './detached-signature';
export { signDigestP256, verifyDigestP256, type EcdsaSignature } from './ecdsa-p256';
export * from './key-algorithm';
export * from './kms-signer';
export * from './pem-signer';
export { signDigestRsaPss, verifyDigestRsaPss } from './rsa-pss';
export * from './sign-release';
export * from './signer';
