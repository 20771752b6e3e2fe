import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';

/** One problem found in an image: where (byte offset in the file) and what, in plain words. */
export interface ImageProblemRef {
  readonly offset: number;
  readonly message: string;
}

const DEFAULT_MESSAGE = 'image is not valid';

/**
 * Thrown when an ESP32 image cannot be used (signed or released) because validation found
 * problems. `problems` lists every one of them; `offset` is the first problem's offset.
 */
export class ImageInvalidError extends OtaError {
  readonly problems: readonly ImageProblemRef[];

  constructor(problems: readonly ImageProblemRef[], what = DEFAULT_MESSAGE) {
    const list = problems.map(p => `at 0x${p.offset.toString(16)}: ${p.message}`).join('; ');
    super(OtaErrorCode.ImageInvalid, problems.length > 0 ? `${what}: ${list}` : what, {
      offset: problems[0]?.offset,
    });
    this.problems = problems;
  }
}
