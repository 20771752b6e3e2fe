/**
 * A KMS error as the JSON 1.1 protocol carries it: HTTP status and `{"__type", "message"}`;
 * the SDK turns `__type` into the exception class (`NotFoundException` …).
 *
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html
 */
export class KmsError extends Error {
  override readonly name = 'KmsError';

  constructor(
    /** The exception name, spelled as KMS does. */
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** `1 validation error detected: Value … at '<field>' failed to satisfy constraint: …`, KMS's wording. */
export function validationError(field: string, value: unknown, constraint: string): KmsError {
  return new KmsError(
    'ValidationException',
    `1 validation error detected: Value ${value === undefined ? 'null' : `'${String(value)}'`} at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}
