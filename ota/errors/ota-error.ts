import type { OtaErrorCode } from './error-code';

/**
 * Base class of every error `ota/` throws. It names what was wrong (`code`), and where: the
 * field (`field`, a dotted path such as `stages[1].abort.thresholdPercentage`) and/or the byte
 * offset in the input (`offset`). Subclasses set `name` from their constructor, as BullMQ's
 * `UnrecoverableError` does.
 */
export class OtaError extends Error {
  readonly code: OtaErrorCode;
  readonly field?: string;
  readonly offset?: number;

  constructor(code: OtaErrorCode, message: string, where: { field?: string; offset?: number } = {}) {
    super(message);
    this.name = this.constructor.name;
    this.code = code;
    this.field = where.field;
    this.offset = where.offset;
  }
}
