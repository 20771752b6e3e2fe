import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';

/** Thrown when a signature (Secure Boot V2 block or detached) does not verify. */
export class SignatureInvalidError extends OtaError {
  constructor(message: string, where: { field?: string; offset?: number } = {}) {
    super(OtaErrorCode.SignatureInvalid, message, where);
  }
}
