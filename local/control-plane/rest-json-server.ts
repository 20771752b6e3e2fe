/**
 * An HTTP(S) server for AWS REST-JSON operations: reads the body, asks `authenticate` (SigV4 or
 * the client certificate), routes, and answers JSON. Errors go out as AWS REST-JSON services send
 * them: the exception name in `x-amzn-ErrorType`, `{"message": ...}` in the body, with the
 * exception's HTTP status (https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization).
 */
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { JobsError } from '../jobs/jobs-error';
import type { LocalCloudLog } from '../local-cloud-config';
import type { RestJsonRouter, RestRoute } from './rest-json-router';
import { readRequestBody } from '../read-request-body';

/** Request bodies are small JSON documents (a job document is at most 32 KB; a publish 128 KB). */
const MAX_BODY_BYTES = 256 * 1024;

/** Options of {@link startRestJsonServer}. */
export interface RestJsonServerOptions<Identity> {
  readonly router: RestJsonRouter;
  /** @defaultValue `127.0.0.1` */
  readonly host?: string;
  /** @defaultValue 0 */
  readonly port?: number;
  /** HTTPS with these credentials (and client certificates requested when `requestCert`). @defaultValue plain HTTP */
  readonly tls?: {
    readonly keyPem: string;
    readonly certPem: string;
    readonly caCertPem: string;
    readonly requestCert: boolean;
  };
  /** Checks who is calling; throws a JobsError to refuse. */
  authenticate(request: IncomingMessage, route: RestRoute, body: Buffer): Identity;
  /** Runs the route with the identity (the server calls `route.handle` unless given). */
  invoke?(
    route: RestRoute,
    identity: Identity,
    request: Parameters<RestRoute['handle']>[0],
  ): ReturnType<RestRoute['handle']>;
  readonly log?: LocalCloudLog;
  /** The name in logs. */
  readonly name: string;
}

/** A running server. */
export interface RestJsonServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  body: Buffer,
  headers: Record<string, string>,
): void {
  res.writeHead(status, { 'Content-Length': String(body.length), ...headers }).end(body);
}

/** Starts the server (see the file header). */
export async function startRestJsonServer<Identity>(
  options: RestJsonServerOptions<Identity>,
): Promise<RestJsonServer> {
  const log = options.log;
  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const { route, params } = options.router.match(req.method ?? 'GET', url.pathname);
    const rawBody = await readRequestBody(
      req,
      MAX_BODY_BYTES,
      message => new JobsError('RequestEntityTooLargeException', message),
    );
    const identity = options.authenticate(req, route, rawBody);
    let body: Record<string, unknown> = {};
    const type = String(req.headers['content-type'] ?? '');
    if (rawBody.length > 0 && (type === '' || type.includes('json'))) {
      try {
        const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          body = parsed as Record<string, unknown>;
      } catch {
        if (route.signingName !== 'iotdata')
          throw new JobsError(
            'InvalidRequestException',
            `${route.operation}: the request body is not valid JSON`,
          );
      }
    }
    const request = { params, query: url.searchParams, body, rawBody, headers: req.headers };
    const result = await (options.invoke
      ? options.invoke(route, identity, request)
      : route.handle(request));
    if (result && 'raw' in result && Buffer.isBuffer(result.raw)) {
      send(res, 200, result.raw, {
        'Content-Type': String(result.contentType),
        'x-amzn-RequestId': requestId,
      });
      return;
    }
    send(res, 200, Buffer.from(JSON.stringify(result ?? {})), {
      'Content-Type': 'application/json',
      'x-amzn-RequestId': requestId,
    });
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      const known = error instanceof JobsError ? error : undefined;
      if (!known) log?.error({ service: options.name, err: error, url: req.url }, 'request failed');
      const type = known?.type ?? 'InternalFailureException';
      const status = known?.status ?? 500;
      const message = known?.message ?? 'An internal error occurred.';
      send(res, status, Buffer.from(JSON.stringify({ message })), {
        'Content-Type': 'application/json',
        'x-amzn-ErrorType': type,
        'x-amzn-RequestId': requestId,
      });
    });
  };
  const server: Server = options.tls
    ? createHttpsServer(
        {
          key: options.tls.keyPem,
          cert: options.tls.certPem,
          ca: [options.tls.caCertPem],
          requestCert: options.tls.requestCert,
          rejectUnauthorized: false,
          minVersion: 'TLSv1.2',
        },
        listener,
      )
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  log?.info({ service: options.name, port }, 'listening');
  return {
    url: `${options.tls ? 'https' : 'http'}://${options.tls ? 'localhost' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close(error => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The verified client certificate of an HTTPS request (DER), or undefined. */
export function clientCertificateDer(req: IncomingMessage): Buffer | undefined {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  const raw = socket.getPeerCertificate()?.raw;
  return raw && raw.length > 0 ? raw : undefined;
}
