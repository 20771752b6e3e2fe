/**
 * An error of the local IoT services, named as AWS names its exceptions. The HTTP layers send
 * `type` as `x-amzn-ErrorType` with `status`; the MQTT jobs layer maps it to the jobs error codes
 * (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html#jobs-mqtt-error-response).
 */

/** AWS exception names the local IoT services throw, with their HTTP status (API reference "Errors"). */
export const IOT_EXCEPTION_STATUS = {
  InvalidRequestException: 400,
  InvalidQueryException: 400,
  InvalidAggregationException: 400,
  IndexNotReadyException: 400,
  UnauthorizedException: 401,
  ForbiddenException: 403,
  // SigV4 refusals of AWS REST-JSON services.
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ResourceNotFoundException: 404,
  ResourceAlreadyExistsException: 409,
  ConflictException: 409,
  ConflictingResourceUpdateException: 409,
  InvalidStateTransitionException: 409,
  VersionConflictException: 409,
  TerminalStateException: 410,
  LimitExceededException: 410,
  RequestEntityTooLargeException: 413,
  ThrottlingException: 429,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
} as const;

export type IotExceptionType = keyof typeof IOT_EXCEPTION_STATUS;

/** A refused request: `type` is the AWS exception name; the message says what and where. */
export class JobsError extends Error {
  override readonly name = 'JobsError';
  readonly status: number;

  constructor(
    readonly type: IotExceptionType,
    message: string,
    /** Execution state for VersionMismatch / InvalidStateTransition replies over MQTT. */
    readonly executionState?: {
      status: string;
      statusDetails: Record<string, string>;
      versionNumber: number;
    },
  ) {
    super(message);
    this.status = IOT_EXCEPTION_STATUS[type];
  }
}
