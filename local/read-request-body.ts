/**
 * Reads an HTTP request body into one buffer, up to a limit: the local cloud's JSON services
 * (IoT control plane, KMS) answer an oversized body with their own service's error, which
 * `tooLarge` makes.
 */
import type { IncomingMessage } from 'node:http';

export async function readRequestBody(
  req: IncomingMessage,
  maxBytes: number,
  tooLarge: (message: string) => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(`request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
