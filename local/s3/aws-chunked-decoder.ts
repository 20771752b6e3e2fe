/**
 * Decodes an `aws-chunked` request body with unsigned chunks and a trailing checksum
 * (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`), which the AWS SDK for JavaScript
 * v3 sends for every streaming PutObject/UploadPart by default:
 *
 * ```
 * <hex size>\r\n<bytes>\r\n ... 0\r\n<x-amz-checksum-crc32>:<base64>\r\n\r\n
 * ```
 *
 * Output is the payload only; the trailer headers are available from {@link trailers} after
 * the stream ends. Framing errors fail the stream with a message naming the byte offset.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { Transform, type TransformCallback } from 'node:stream';

/** A chunk header or trailer line longer than this is not aws-chunked framing. */
const MAX_LINE_BYTES = 4096;

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  /** Trailer headers, lower-case names, after the stream has ended. */
  readonly trailers = new Map<string, string>();
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private crlfSeen = 0;
  /** Offset in the encoded body, for error messages. */
  private offset = 0;
  /** Decoded payload bytes emitted. */
  decodedLength = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let i = 0;
      while (i < chunk.length) {
        if (this.state === 'data') {
          const take = Math.min(this.remaining, chunk.length - i);
          this.push(chunk.subarray(i, i + take));
          this.decodedLength += take;
          this.remaining -= take;
          i += take;
          this.offset += take;
          if (this.remaining === 0) this.state = 'data-crlf';
        } else if (this.state === 'data-crlf') {
          const expected = this.crlfSeen === 0 ? 0x0d : 0x0a;
          if (chunk[i] !== expected) throw this.framingError('expected CRLF after chunk data');
          i += 1;
          this.offset += 1;
          this.crlfSeen += 1;
          if (this.crlfSeen === 2) {
            this.crlfSeen = 0;
            this.state = 'size';
          }
        } else if (this.state === 'done') {
          throw this.framingError('bytes after the final empty trailer line');
        } else {
          const nl = chunk.indexOf(0x0a, i);
          const end = nl < 0 ? chunk.length : nl + 1;
          this.line += chunk.toString('latin1', i, end);
          this.offset += end - i;
          i = end;
          if (this.line.length > MAX_LINE_BYTES)
            throw this.framingError(`line longer than ${MAX_LINE_BYTES} bytes`);
          if (nl >= 0) this.endLine();
        }
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'done') {
      callback(
        this.framingError(`body ended in state "${this.state}" before the final chunk and trailer`),
      );
    } else {
      callback();
    }
  }

  private endLine(): void {
    if (!this.line.endsWith('\r\n')) throw this.framingError('line does not end with CRLF');
    const text = this.line.slice(0, -2);
    this.line = '';
    if (this.state === 'size') {
      // `;chunk-signature=` extensions only appear in the signed variants, which we refuse earlier.
      const sizeText = text.split(';')[0];
      if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText))
        throw this.framingError(`chunk size "${sizeText}" is not hex`);
      this.remaining = parseInt(sizeText, 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
      return;
    }
    if (text === '') {
      this.state = 'done';
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw this.framingError(`trailer line "${text}" is not name:value`);
    this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
  }

  private framingError(what: string): Error {
    return new Error(`aws-chunked body: ${what} at byte ${this.offset}`);
  }
}
