/**
 * The console's thin server: serves the page (bundled in memory at start, `console-bundle.ts`)
 * and the JSON routes (`console-routes.ts`). Live data does not pass through it: the page opens
 * MQTT over WebSockets to the broker with a presigned URL from `/api/connection`. Listens on
 * 127.0.0.1 unless told otherwise — the routes can pause and abort rollouts.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundleConsole, type ConsoleBundle } from './console-bundle';
import { ConsoleBackend } from './console-backend';
import type { ConsoleConfig } from './console-config';
import { handleApi } from './console-routes';

export interface StartConsoleServerOptions {
  readonly config: ConsoleConfig;
  /** 0 picks a free port. @defaultValue 8090 */
  readonly port?: number;
  /** @defaultValue `127.0.0.1` */
  readonly host?: string;
}

export interface ConsoleServer {
  /** `http://<host>:<port>/` */
  readonly url: string;
  readonly port: number;
  readonly backend: ConsoleBackend;
  /** Resolves when the page is bundled (requests wait for it anyway). */
  readonly ready: Promise<ConsoleBundle>;
  close(): Promise<void>;
}

/**
 * Only the page's own origin runs scripts; the broker may be any ws(s) URL the server signs;
 * MQTT.js runs its keepalive timer in a blob: worker (so background tabs keep pinging).
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; frame-ancestors 'none'";

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer | string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

export async function startConsoleServer(
  options: StartConsoleServerOptions,
): Promise<ConsoleServer> {
  const backend = new ConsoleBackend(options.config);
  const ready = bundleConsole();
  ready.catch(() => undefined); // answered per request below
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    if (url.pathname.startsWith('/api/')) {
      void handleApi(backend, req, url).then(({ status, body }) =>
        send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), {
          'cache-control': 'no-store',
        }),
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', `${req.method} ${url.pathname}: only GET\n`);
      return;
    }
    ready.then(
      bundle => {
        if (url.pathname === '/' || url.pathname === '/index.html')
          send(res, 200, 'text/html; charset=utf-8', bundle.html, {
            'content-security-policy': CSP,
            'cache-control': 'no-cache',
          });
        else if (url.pathname === '/app.js')
          send(res, 200, 'text/javascript; charset=utf-8', bundle.js, {
            'cache-control': 'no-cache',
          });
        else if (url.pathname === '/app.css')
          send(res, 200, 'text/css; charset=utf-8', bundle.css, { 'cache-control': 'no-cache' });
        else
          send(
            res,
            404,
            'text/plain; charset=utf-8',
            `no page ${url.pathname} (the console is at /)\n`,
          );
      },
      (error: Error) => send(res, 500, 'text/plain; charset=utf-8', `${error.message}\n`),
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `console: port ${options.port ?? 8090} on ${host} is in use (--port picks another)`,
            )
          : error,
      ),
    );
    server.listen(options.port ?? 8090, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    backend,
    ready,
    async close() {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      await backend.close();
    },
  };
}
