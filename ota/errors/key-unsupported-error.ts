import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';

/**
 * Thrown when a key cannot be used for Secure Boot V2 or detached signatures: Secure Boot V2
 * accepts RSA-3072 (block version 2) and ECDSA P-256 (block version 3) keys only
 * (esp32-image.md, "Secure Boot V2 signature sector"); detached signatures need ECDSA P-256.
 */
export class KeyUnsupportedError extends OtaError {
  constructor(message: string, field = 'key') {
    super(OtaErrorCode.KeyUnsupported, message, { field });
  }
}
