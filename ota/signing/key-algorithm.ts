import type { KeyObject } from 'node:crypto';
import { KeyUnsupportedError } from '../errors/key-unsupported-error';
import type { SignatureAlgorithm } from './signer';

/**
 * The signature scheme a key signs with: RSA with a 3072-bit modulus → `RSA-PSS-3072`, EC on
 * P-256 → `ECDSA-P256` (Secure Boot V2 accepts those, esp32-image.md "Secure Boot V2 signature
 * sector"; P-384 and P-192 are left out: no KMS key spec pairs with the P-192 ROM scheme, and
 * P-384 needs SHA-384 throughout). Anything else throws `KeyUnsupportedError` naming the key.
 */
export function algorithmOf(key: KeyObject, field = 'key'): SignatureAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    if (details.modulusLength === 3072) return 'RSA-PSS-3072';
    throw new KeyUnsupportedError(
      `RSA key has a ${details.modulusLength}-bit modulus; Secure Boot V2 needs RSA-3072`,
      field,
    );
  }
  if (type === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ECDSA-P256';
    throw new KeyUnsupportedError(
      `EC key is on curve ${details.namedCurve}; only P-256 (prime256v1) is supported`,
      field,
    );
  }
  throw new KeyUnsupportedError(
    `unsupported key type ${type ?? 'unknown'}; expected RSA-3072 or EC P-256`,
    field,
  );
}
