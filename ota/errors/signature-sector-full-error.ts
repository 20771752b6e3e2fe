import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';

/**
 * Thrown when a further signature block is asked for but the signature sector already holds
 * the maximum of three (espsecure `sign_data --append-signatures` refuses the same way).
 */
export class SignatureSectorFullError extends OtaError {
  constructor(offset: number, max: number) {
    super(
      OtaErrorCode.SignatureSectorFull,
      `signature sector at 0x${offset.toString(16)} already holds ${max} signature blocks (at most ${max})`,
      { offset },
    );
  }
}
