/**
 * MQTT over WebSockets at `/mqtt`, authenticated by a SigV4-signed URL as AWS IoT Core does
 * ("MQTT over the WebSocket protocol", https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html#mqtt-ws).
 *
 * One port, two transports: the first byte of a connection decides. `0x16` (a TLS handshake
 * record, i.e. a ClientHello) goes to TLS with the server certificate from the local CA, as the
 * MQTT listener uses (`wss://`); anything else is plain HTTP (`ws://`), accepted from loopback
 * addresses only. Why plain at all: a browser on the user's machine does not trust the local CA
 * without manual steps, and browsers treat `ws://localhost` as a secure context. The SigV4 check
 * is the same on both.
 *
 * The upgrade request (GET /mqtt) is checked before the WebSocket handshake is answered:
 * - the query-string signature (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
 *   `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`) with service `iotdevicegateway`,
 *   the local cloud's region, and the SHA-256 of the empty payload;
 * - `X-Amz-Security-Token`, when present, is not part of the signed query: AWS IoT wants it
 *   appended after signing, so a URL that signed it does not verify. (Local credentials are
 *   long-term; a token is carried but not checked.)
 * Refusals answer `401` (no signature) or `403` (bad, expired, unknown key, wrong region or
 * service) with the reason in a `text/plain` body, and close the socket. An accepted upgrade's
 * WebSocket becomes a duplex stream handed to the same aedes instance (`handleSigV4Stream`), so
 * the same IoT policy hooks, limits and lifecycle events apply.
 */
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
} from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { WebSocketServer } from 'ws';
import { isLoopbackAddress } from '../loopback-address';
import { EMPTY_SHA256, SigV4Error, verifySigV4 } from '../sigv4';
import type { SigV4Signer } from './connection-identity';
import type { IotBroker } from './iot-broker';
import type { BrokerLog } from './policy-hooks';
import { mqttWebSocketStream } from './websocket-stream';

/** The WebSocket path AWS IoT serves MQTT on. */
const MQTT_WEBSOCKET_PATH = '/mqtt';
/** The signing name of AWS IoT's device gateway. */
const IOT_DEVICE_GATEWAY_SERVICE = 'iotdevicegateway';
/** First byte of a TLS record carrying a handshake message (RFC 8446 §5.1, ContentType 22). */
const TLS_HANDSHAKE_RECORD = 0x16;
/** A connection that sends nothing is closed after this long (a browser pre-connect, a port scan). */
const FIRST_BYTE_TIMEOUT_MS = 10_000;
/** An MQTT packet is at most 128 KB plus header (broker-limits.ts); a frame bigger than this is refused by ws. */
const MAX_WEBSOCKET_FRAME_BYTES = 256 * 1024;

/** Credentials the listener accepts, and the policies each stands for. */
export interface WebSocketSigner {
  readonly secretAccessKey: string;
  readonly signer: SigV4Signer;
}

/** Options for {@link startMqttWebSocketListener}. */
export interface MqttWebSocketListenerOptions {
  readonly broker: IotBroker;
  /** @defaultValue `127.0.0.1` */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Server certificate and key (PEM) for `wss://`. */
  readonly tls: { readonly keyPem: string; readonly certPem: string };
  /** The region signatures must be scoped to. */
  readonly region: string;
  /** The signer for an access key id, or undefined when the key is unknown. */
  readonly signerFor: (accessKeyId: string) => WebSocketSigner | undefined;
  /** Clock for URL expiry. @defaultValue `Date.now` */
  readonly now?: () => number;
  readonly log: BrokerLog;
}

/** A running listener. */
export interface MqttWebSocketListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Writes an HTTP error response on a raw socket and closes it (the upgrade is not answered). */
function refuseUpgrade(socket: Duplex, status: number, statusText: string, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** Starts the listener (see the file header). */
export async function startMqttWebSocketListener(
  options: MqttWebSocketListenerOptions,
): Promise<MqttWebSocketListener> {
  const { broker, log, region } = options;
  const now = options.now ?? Date.now;
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WEBSOCKET_FRAME_BYTES,
    perMessageDeflate: false,
  });

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0];
    if (path !== MQTT_WEBSOCKET_PATH)
      return refuseUpgrade(
        socket,
        404,
        'Not Found',
        `no WebSocket endpoint at ${path}; MQTT is served at ${MQTT_WEBSOCKET_PATH}`,
      );
    let signer: SigV4Signer;
    try {
      const verified = verifySigV4(
        { method: request.method ?? 'GET', url: request.url ?? '', headers: request.headers },
        {
          service: IOT_DEVICE_GATEWAY_SERVICE,
          region,
          credentials: accessKeyId => options.signerFor(accessKeyId)?.secretAccessKey,
          now,
          unsignedQueryParameters: ['X-Amz-Security-Token'],
        },
        EMPTY_SHA256,
      );
      if (!verified.presigned)
        throw new SigV4Error(
          'MalformedAuthorization',
          'MQTT over WebSockets needs the signature in the query string (X-Amz-Signature), not in an Authorization header',
        );
      signer = options.signerFor(verified.accessKeyId)!.signer;
    } catch (error) {
      if (!(error instanceof SigV4Error)) throw error;
      const missing = error.code === 'MissingAuthentication';
      log.info(
        { code: error.code, reason: error.message, remoteAddress: request.socket.remoteAddress },
        'refused MQTT WebSocket upgrade',
      );
      return refuseUpgrade(
        socket,
        missing ? 401 : 403,
        missing ? 'Unauthorized' : 'Forbidden',
        `${error.code}: ${error.message}`,
      );
    }
    wss.handleUpgrade(request, socket, head, ws => {
      // Code 1006 means no close frame arrived (the connection dropped); any other code is a close
      // frame from the client. Registered before the stream's own listener ends the stream.
      let closedByPeer = false;
      ws.once('close', code => (closedByPeer = code !== 1006));
      const stream = mqttWebSocketStream(ws);
      // Errors (a peer gone mid-frame) end the connection; aedes sees the stream close.
      stream.on('error', error => log.debug({ err: error.message }, 'MQTT WebSocket stream error'));
      broker.handleSigV4Stream(stream, signer, request.socket.remoteAddress, {
        closedByPeer: () => closedByPeer,
      });
    });
  }

  function onRequest(request: IncomingMessage, response: import('node:http').ServerResponse): void {
    const path = (request.url ?? '').split('?')[0];
    const [status, text] =
      path === MQTT_WEBSOCKET_PATH ? [426, 'Upgrade Required'] : [404, 'Not Found'];
    response.writeHead(status, text, {
      'Content-Type': 'text/plain; charset=utf-8',
      Connection: 'close',
      ...(status === 426 ? { Upgrade: 'websocket' } : {}),
    });
    response.end(
      status === 426
        ? `${MQTT_WEBSOCKET_PATH} speaks MQTT over WebSockets only (a GET with Upgrade: websocket)\n`
        : `MQTT is served at ${MQTT_WEBSOCKET_PATH}\n`,
    );
  }

  const plain: HttpServer = createHttpServer(onRequest);
  const secure: TlsServer = createTlsServer({
    key: options.tls.keyPem,
    cert: options.tls.certPem,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
  });
  // The TLS server hands its decrypted sockets to the HTTP server (one HTTP stack for both).
  secure.on('secureConnection', tlsSocket => plain.emit('connection', tlsSocket));
  secure.on('tlsClientError', error =>
    log.debug({ err: error.message }, 'WebSocket TLS handshake failed'),
  );
  plain.on('upgrade', onUpgrade);
  plain.on('clientError', (error, socket) => {
    log.debug({ err: error.message }, 'WebSocket listener: bad HTTP request');
    if (socket.writable)
      refuseUpgrade(socket, 400, 'Bad Request', `bad HTTP request: ${error.message}`);
    else socket.destroy();
  });

  const server: NetServer = createNetServer({ noDelay: true }, socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        // The TLS socket takes over the handle and first replays what is buffered (the ClientHello).
        secure.emit('connection', socket);
      } else if (isLoopbackAddress(socket.remoteAddress)) {
        plain.emit('connection', socket);
        socket.resume();
      } else {
        refuseUpgrade(
          socket,
          403,
          'Forbidden',
          'plain ws:// is accepted from loopback only; use wss://',
        );
      }
    });
  });
  server.listen(options.port, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    async close() {
      const closed = new Promise<void>(resolve => server.close(() => resolve()));
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      wss.close();
      await closed;
    },
  };
}
