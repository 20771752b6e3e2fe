/**
 * The local KMS endpoint for `@aws-sdk/client-kms`: AWS JSON 1.1 over HTTP on loopback
 * (`POST /`, `X-Amz-Target: TrentService.<Operation>`, `Content-Type: application/x-amz-json-1.1`),
 * SigV4 over the body hash, errors as `{"__type", "message"}`. Operations: see kms-handlers.ts.
 * HTTP on 127.0.0.1 for the same reason as the S3 endpoint (see s3-server.ts).
 *
 * @see https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SigV4Error, verifySigV4, type SigV4VerifyOptions } from '../sigv4';
import { KmsError } from './kms-error';
import { KMS_OPERATIONS } from './kms-handlers';
import { KmsKeyStore } from './kms-key-store';
import type { ServerLog } from '../s3/s3-server-options';
import { readRequestBody } from '../read-request-body';

/** Requests are small JSON documents (a Sign message is at most 4 KB). */
const MAX_BODY_BYTES = 256 * 1024;
const TARGET_PREFIX = 'TrentService.';

/** Options of {@link startKmsServer}. */
export interface KmsServerOptions {
  /** @defaultValue `'127.0.0.1'` */
  readonly host?: string;
  /** @defaultValue 0 (an ephemeral port) */
  readonly port?: number;
  /** The local cloud's state directory; keys live in `<stateDir>/kms/` (files 0600). */
  readonly stateDir: string;
  readonly region: string;
  /** The account in key ARNs (`local-cloud.json`'s `accountId`). */
  readonly accountId: string;
  readonly credentials: SigV4VerifyOptions['credentials'];
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /** @defaultValue silent */
  readonly logger?: ServerLog;
}

/** A running KMS endpoint. */
export interface KmsServer {
  /** `http://127.0.0.1:<port>`, the value of `endpoints.kms`. */
  readonly url: string;
  readonly port: number;
  readonly keys: KmsKeyStore;
  close(): Promise<void>;
}

/** A refused signature in the words AWS JSON services use. */
function kmsErrorOf(error: SigV4Error): KmsError {
  switch (error.code) {
    case 'MissingAuthentication':
      return new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    case 'MalformedAuthorization':
      return new KmsError('IncompleteSignatureException', error.message);
    case 'InvalidAccessKeyId':
      return new KmsError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    case 'RequestTimeTooSkewed':
    case 'RequestExpired':
      return new KmsError(
        'InvalidSignatureException',
        `Signature expired: ${error.details.RequestTime ?? ''} is now earlier or later than the allowed window around ${error.details.ServerTime ?? ''}.`,
      );
    case 'WrongRegion':
    case 'WrongService':
      return new KmsError(
        'InvalidSignatureException',
        `Credential should be scoped to a valid region and service: ${error.message}`,
      );
    case 'SignatureDoesNotMatch':
      return new KmsError('InvalidSignatureException', error.message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': String(Buffer.byteLength(text)),
      ...extra,
    })
    .end(text);
}

export async function startKmsServer(options: KmsServerOptions): Promise<KmsServer> {
  const keys = new KmsKeyStore(join(options.stateDir, 'kms'), options.region, options.accountId);
  const log = options.logger;

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    if (req.method !== 'POST')
      throw new KmsError(
        'UnknownOperationException',
        `KMS answers POST only, got ${req.method}`,
        404,
      );
    const body = await readRequestBody(
      req,
      MAX_BODY_BYTES,
      message => new KmsError('ValidationException', message, 413),
    );
    try {
      verifySigV4(
        { method: 'POST', url: req.url ?? '/', headers: req.headers },
        {
          service: 'kms',
          region: options.region,
          credentials: options.credentials,
          now: options.now,
        },
        createHash('sha256').update(body).digest('hex'),
      );
    } catch (error) {
      if (error instanceof SigV4Error) throw kmsErrorOf(error);
      throw error;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX)
      ? KMS_OPERATIONS[target.slice(TARGET_PREFIX.length)]
      : undefined;
    if (!operation)
      throw new KmsError(
        'UnknownOperationException',
        `X-Amz-Target "${target}" is not an operation this local KMS serves (${Object.keys(KMS_OPERATIONS).join(', ')})`,
      );
    let parsed: unknown;
    try {
      parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new KmsError(
        'SerializationException',
        `request body is not JSON: ${(error as Error).message}`,
      );
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new KmsError('SerializationException', 'request body must be a JSON object');
    send(res, 200, operation(keys, parsed as Record<string, unknown>), {
      'x-amzn-RequestId': requestId,
    });
  }

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      const kms =
        error instanceof KmsError
          ? error
          : new KmsError(
              'KMSInternalException',
              'The request was rejected because an internal exception occurred.',
              500,
            );
      if (!(error instanceof KmsError))
        log?.error({ service: 'kms', err: error }, 'KMS request failed');
      send(
        res,
        kms.status,
        { __type: kms.type, message: kms.message },
        { 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': kms.type },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  log?.info({ service: 'kms', port }, 'KMS endpoint listening');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    keys,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close(error => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
