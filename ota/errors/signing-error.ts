import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';

/**
 * Thrown when a signer fails to produce a signature, or produced one that does not verify with
 * its own public key (checked after every signing, so a wrong KMS key or a broken signer never
 * ships an image).
 */
export class SigningError extends OtaError {
  constructor(message: string, field = 'signer') {
    super(OtaErrorCode.SigningFailed, message, { field });
  }
}
