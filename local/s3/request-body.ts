/**
 * Reads an upload body (PutObject, UploadPart) as the SDK frames it and checks every integrity
 * claim before the object may become visible:
 *
 * - `x-amz-content-sha256: <hex>` (signed payload): SHA-256 of the body must match
 *   → `XAmzContentSHA256Mismatch`;
 * - `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with `Content-Encoding: aws-chunked`: decoded, the
 *   checksum named by `x-amz-trailer` read from the trailer;
 * - `x-amz-checksum-<algorithm>` header or trailer, and `Content-MD5` → `BadDigest`;
 * - `x-amz-decoded-content-length` → `IncompleteBody`.
 * Signed streaming (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD…`) is refused: the JavaScript SDK does
 * not send it, and accepting chunks without checking their signatures would be a lie.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { AwsChunkedDecoder } from './aws-chunked-decoder';
import {
  checksumAlgorithmOfHeader,
  createChecksum,
  type Checksum,
  type ChecksumAlgorithm,
} from './checksum';
import { S3Error, s3Errors } from './s3-error';

/** How to read one upload body, and how to check it once it has been read. */
export interface UploadBody {
  readonly decoders: readonly Transform[];
  observe(chunk: Buffer): void;
  /** Throws the S3 error for the first integrity claim that failed; returns the checksum kept. */
  verify(received: {
    size: number;
    md5: Buffer;
  }): { algorithm: ChecksumAlgorithm; value: string } | undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function readUploadBody(req: IncomingMessage, payloadHash: string): UploadBody {
  const decoders: Transform[] = [];
  let chunked: AwsChunkedDecoder | undefined;
  if (payloadHash.startsWith('STREAMING-')) {
    if (payloadHash !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
      throw s3Errors.notImplemented(
        `x-amz-content-sha256: ${payloadHash} (signed aws-chunked uploads)`,
      );
    }
    if (!(header(req, 'content-encoding') ?? '').split(',').some(e => e.trim() === 'aws-chunked')) {
      throw s3Errors.invalidArgument(
        'STREAMING-UNSIGNED-PAYLOAD-TRAILER requires Content-Encoding: aws-chunked',
        'Content-Encoding',
        header(req, 'content-encoding') ?? '',
      );
    }
    chunked = new AwsChunkedDecoder();
    decoders.push(chunked);
  } else if (payloadHash !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(payloadHash)) {
    throw new S3Error(
      'InvalidArgument',
      400,
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value.',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash },
    );
  }

  // The checksum to check: from a header now, or from the trailer the request announces.
  let algorithm: ChecksumAlgorithm | undefined;
  let expected: string | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    const found = checksumAlgorithmOfHeader(name);
    if (found && typeof value === 'string') {
      algorithm = found;
      expected = value;
    }
  }
  const trailerName = header(req, 'x-amz-trailer')?.trim().toLowerCase();
  if (trailerName !== undefined) {
    const found = checksumAlgorithmOfHeader(trailerName);
    if (!found)
      throw s3Errors.invalidArgument(
        `x-amz-trailer names an unknown checksum "${trailerName}"`,
        'x-amz-trailer',
        trailerName,
      );
    if (!chunked)
      throw s3Errors.invalidArgument(
        'x-amz-trailer needs an aws-chunked body',
        'x-amz-trailer',
        trailerName,
      );
    algorithm = found;
  }
  const checksum: Checksum | undefined = algorithm ? createChecksum(algorithm) : undefined;
  const sha256: Hash | undefined = /^[0-9a-f]{64}$/.test(payloadHash)
    ? createHash('sha256')
    : undefined;
  const contentMd5 = header(req, 'content-md5');
  const decodedLength = header(req, 'x-amz-decoded-content-length');

  return {
    decoders,
    observe(chunk) {
      checksum?.update(chunk);
      sha256?.update(chunk);
    },
    verify(received) {
      if (chunked && decodedLength !== undefined && Number(decodedLength) !== received.size) {
        throw new S3Error(
          'IncompleteBody',
          400,
          `You did not provide the number of bytes specified by x-amz-decoded-content-length (${decodedLength}); received ${received.size}`,
        );
      }
      if (sha256) {
        const computed = sha256.digest('hex');
        if (computed !== payloadHash) {
          throw new S3Error(
            'XAmzContentSHA256Mismatch',
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            {
              ClientComputedContentSHA256: payloadHash,
              S3ComputedContentSHA256: computed,
            },
          );
        }
      }
      if (contentMd5 !== undefined && received.md5.toString('base64') !== contentMd5) {
        throw new S3Error(
          'BadDigest',
          400,
          'The Content-MD5 you specified did not match what we received.',
          {
            ExpectedDigest: contentMd5,
            CalculatedDigest: received.md5.toString('base64'),
          },
        );
      }
      if (!algorithm || !checksum) return undefined;
      const claimed = trailerName !== undefined ? chunked?.trailers.get(trailerName) : expected;
      if (claimed === undefined) {
        throw new S3Error(
          'MalformedTrailerError',
          400,
          `The request contained trailing data that was not well-formed: ${trailerName} is missing from the trailer.`,
        );
      }
      const value = checksum.digestBase64();
      if (value !== claimed) {
        throw new S3Error(
          'BadDigest',
          400,
          `The ${algorithm} you specified did not match the calculated checksum.`,
          {
            ExpectedChecksum: claimed,
            CalculatedChecksum: value,
          },
        );
      }
      return { algorithm, value };
    },
  };
}
