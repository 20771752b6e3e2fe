/**
 * The local S3 endpoint: path-style S3 REST over HTTP on loopback for `@aws-sdk/client-s3`
 * and presigned URLs (plain `fetch`/curl, and devices downloading firmware).
 *
 * Why our own and not an npm emulator: s3rver 3.7.1 and its fork @20minutes/s3rver 5.0.0 (both
 * checked when this was written) refuse `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`,
 * which the current SDK sends for every streaming upload by default, verify no `x-amz-checksum-*`,
 * and write bodies straight to the final path (a killed server leaves a truncated object
 * visible); they also bring koa, winston and lodash for the handful of calls we serve.
 *
 * Why HTTP: the endpoint listens on 127.0.0.1 only, so nothing crosses a network, and the SDKs
 * and curl accept an `http://` endpoint without CA configuration. With an IP-address endpoint the
 * SDK uses path-style addressing on its own (the S3 endpoint rules never put a bucket in an IP
 * host), so the worker needs only `endpoint` and credentials. See `loopbackCountsAsTls` for the
 * TLS-only bucket policy.
 *
 * Request flow: SigV4 (header or presigned query) → route → bucket exists → bucket policy deny →
 * handler. Errors are S3's XML `<Error>` documents (no body for HEAD).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { LISTEN_BACKLOG } from '../listen-backlog';
import { isLoopbackAddress } from '../loopback-address';
import { SigV4Error, verifySigV4, type SigV4Identity } from '../sigv4';
import { deniedBy } from './bucket-policy';
import { ObjectStore, type BucketState } from './object-store';
import { createBucket, headBucket, listBuckets, listObjectsV2 } from './s3-bucket-handlers';
import type { S3Context } from './s3-context';
import { S3Error, s3Errors } from './s3-error';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  uploadPart,
} from './s3-multipart-handlers';
import { deleteObject, getObject, putObject } from './s3-object-handlers';
import type { S3ServerOptions } from './s3-server-options';
import { S3_XMLNS, escapeXml, renderXml } from './s3-xml';

/** A running S3 endpoint. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`, the value of `endpoints.s3`. */
  readonly url: string;
  readonly port: number;
  readonly store: ObjectStore;
  close(): Promise<void>;
}

/** Map a refused signature to S3's error code, status and message. */
function s3ErrorOf(error: SigV4Error, presigned: boolean): S3Error {
  const d = error.details;
  switch (error.code) {
    case 'MissingAuthentication':
      return s3Errors.accessDenied();
    case 'MalformedAuthorization':
    case 'WrongService':
      return presigned
        ? new S3Error('AuthorizationQueryParametersError', 400, error.message)
        : new S3Error(
            'AuthorizationHeaderMalformed',
            400,
            `The authorization header is malformed; ${error.message}`,
          );
    case 'WrongRegion':
      return new S3Error(
        presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed',
        400,
        `The authorization ${presigned ? 'query parameters are' : 'header is'} malformed; ${error.message}`,
        { Region: d.Region ?? '' },
      );
    case 'InvalidAccessKeyId':
      return new S3Error(
        'InvalidAccessKeyId',
        403,
        'The AWS Access Key Id you provided does not exist in our records.',
        d,
      );
    case 'SignatureDoesNotMatch':
      return new S3Error('SignatureDoesNotMatch', 403, error.message, d);
    case 'RequestTimeTooSkewed':
      return new S3Error(
        'RequestTimeTooSkewed',
        403,
        'The difference between the request time and the current time is too large.',
        d,
      );
    case 'RequestExpired':
      return new S3Error('AccessDenied', 403, 'Request has expired', d);
  }
}

/** IAM action of a routed request, for bucket policy evaluation. */
function iamAction(method: string, key: string, query: URLSearchParams): string {
  if (key === '') return method === 'PUT' ? 's3:CreateBucket' : 's3:ListBucket';
  if (method === 'DELETE')
    return query.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject';
  if (method === 'GET' || method === 'HEAD') return 's3:GetObject';
  return 's3:PutObject';
}

/** Start the S3 endpoint on `options.host:options.port` with objects in `<stateDir>/s3/`. */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const store = new ObjectStore(join(options.stateDir, 's3'));
  await store.open();
  const now = options.now ?? Date.now;
  const log = options.logger;

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const presigned = query.has('X-Amz-Signature');
    let identity: SigV4Identity;
    try {
      identity = verifySigV4(
        { method: req.method ?? 'GET', url, headers: req.headers },
        {
          service: 's3',
          region: options.region,
          credentials: options.credentials,
          now,
          doubleEncodePath: false,
        },
      );
    } catch (error) {
      if (error instanceof SigV4Error) throw s3ErrorOf(error, presigned);
      throw error;
    }
    const slash = rawPath.indexOf('/', 1);
    const bucketName = decodeURIComponent(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
    const key = slash < 0 ? '' : decodeURIComponent(rawPath.slice(slash + 1));
    const ctx: S3Context = {
      req,
      res,
      store,
      identity,
      bucket: bucketName,
      key,
      query,
      requestId,
      region: options.region,
      now,
    };
    const method = req.method ?? 'GET';
    if (bucketName === '') {
      if (method === 'GET') return listBuckets(ctx);
      throw new S3Error(
        'MethodNotAllowed',
        405,
        `The specified method ${method} is not allowed against this resource.`,
      );
    }
    if (key === '' && method === 'PUT') return createBucket(ctx);
    const bucket = store.bucket(bucketName);
    if (!bucket) throw s3Errors.noSuchBucket(bucketName);
    checkPolicy(bucket, req, method, key, query);
    if (key === '') return bucketRequest(ctx, bucket, method);
    return objectRequest(ctx, bucket, method);
  }

  function checkPolicy(
    bucket: BucketState,
    req: IncomingMessage,
    method: string,
    key: string,
    query: URLSearchParams,
  ): void {
    if (!bucket.policy) return;
    const secureTransport =
      (req.socket as { encrypted?: boolean }).encrypted === true ||
      ((options.loopbackCountsAsTls ?? true) && isLoopbackAddress(req.socket.remoteAddress));
    const sid = deniedBy(bucket.policy, {
      action: iamAction(method, key, query),
      resource: key === '' ? `arn:aws:s3:::${bucket.name}` : `arn:aws:s3:::${bucket.name}/${key}`,
      secureTransport,
    });
    if (sid !== undefined)
      throw s3Errors.accessDenied(
        `Access Denied (explicit deny in the bucket policy, statement ${sid})`,
      );
  }

  function bucketRequest(ctx: S3Context, bucket: BucketState, method: string): void {
    if (method === 'HEAD') return headBucket(ctx, bucket);
    if (method === 'GET' && ctx.query.get('list-type') === '2') return listObjectsV2(ctx, bucket);
    if (method === 'GET' && ctx.query.has('location')) {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_XMLNS}">${escapeXml(ctx.region)}</LocationConstraint>`;
      ctx.res.writeHead(200, { 'Content-Type': 'application/xml' }).end(body);
      return;
    }
    throw s3Errors.notImplemented(
      `${method} on a bucket with query "${ctx.query.toString()}" (ListObjectsV2 needs list-type=2)`,
    );
  }

  async function objectRequest(ctx: S3Context, bucket: BucketState, method: string): Promise<void> {
    const uploadId = ctx.query.get('uploadId');
    switch (method) {
      case 'PUT':
        return uploadId !== null ? uploadPart(ctx, bucket, uploadId) : putObject(ctx, bucket);
      case 'GET':
        return getObject(ctx, bucket, true);
      case 'HEAD':
        return getObject(ctx, bucket, false);
      case 'DELETE':
        return uploadId !== null ? abortMultipartUpload(ctx, uploadId) : deleteObject(ctx, bucket);
      case 'POST':
        if (ctx.query.has('uploads')) return createMultipartUpload(ctx, bucket);
        if (uploadId !== null) return completeMultipartUpload(ctx, bucket, uploadId);
        throw s3Errors.notImplemented('POST on an object without ?uploads or ?uploadId');
      default:
        throw new S3Error(
          'MethodNotAllowed',
          405,
          `The specified method ${method} is not allowed against this resource.`,
        );
    }
  }

  function sendError(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    error: unknown,
  ): void {
    const s3 =
      error instanceof S3Error
        ? error
        : new S3Error('InternalError', 500, 'We encountered an internal error. Please try again.');
    if (!(error instanceof S3Error))
      log?.error({ service: 's3', err: error, url: req.url }, 'S3 request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { 'x-amz-request-id': requestId, Connection: 'close' };
    if (req.method === 'HEAD') {
      res.writeHead(s3.status, headers).end();
    } else {
      const body = renderXml(
        'Error',
        {
          Code: s3.code,
          Message: s3.message,
          ...s3.details,
          RequestId: requestId,
          HostId: requestId,
        },
        undefined,
      );
      res
        .writeHead(s3.status, {
          ...headers,
          'Content-Type': 'application/xml',
          'Content-Length': String(Buffer.byteLength(body)),
        })
        .end(body);
    }
    // An unread upload body would otherwise hold the socket; Connection: close ends it.
    req.resume();
  }

  // Request ids: a random prefix per server and a counter (unique, and no CSPRNG call per request).
  const idPrefix = randomBytes(4).toString('hex').toUpperCase();
  let requestCount = 0;
  const server: Server = createServer((req, res) => {
    const requestId = `${idPrefix}${(requestCount++).toString(16).toUpperCase().padStart(8, '0')}`;
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    route(req, res, requestId).catch(error => sendError(req, res, requestId, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: LISTEN_BACKLOG },
      () => resolve(),
    );
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  log?.info({ service: 's3', port }, 'S3 endpoint listening');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    store,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close(error => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        store.openFiles.clear();
      }),
  };
}
