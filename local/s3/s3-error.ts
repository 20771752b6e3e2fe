/**
 * An S3 error answered as S3 does: HTTP status plus an XML `<Error>` body with `Code`, `Message`
 * and the code's extra elements (`Key`, `BucketName`, `RangeRequested` …).
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export class S3Error extends Error {
  override readonly name = 'S3Error';

  constructor(
    /** S3's error code, spelled as S3 does (`NoSuchKey`, `InvalidRange` …). */
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra child elements of `<Error>`, in order. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Errors that several handlers raise, with S3's own messages. */
export const s3Errors = {
  noSuchBucket: (bucket: string) =>
    new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket }),
  noSuchKey: (key: string) =>
    new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new S3Error(
      'NoSuchUpload',
      404,
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      { UploadId: uploadId },
    ),
  invalidArgument: (message: string, name: string, value: string) =>
    new S3Error('InvalidArgument', 400, message, { ArgumentName: name, ArgumentValue: value }),
  notImplemented: (what: string) =>
    new S3Error(
      'NotImplemented',
      501,
      `A header or query you provided implies functionality that is not implemented: ${what}`,
    ),
  accessDenied: (message = 'Access Denied') => new S3Error('AccessDenied', 403, message),
};
