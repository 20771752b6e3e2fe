/**
 * `presignMqttWebSocketUrl`: a SigV4 query-string signed URL for MQTT over WebSockets, as AWS IoT
 * Core documents it ("MQTT over the WebSocket protocol", signing with service `iotdevicegateway`,
 * https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html#mqtt-ws). Pure: the clock
 * and the credentials are arguments; no network, no environment. Works against AWS IoT and the
 * local cloud (`endpoints.mqttWebSocket` in local-cloud.json) alike.
 *
 * How the URL is built (the AWS page's steps, and the SigV4 query-string rules of
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * 1. canonical query: `X-Amz-Algorithm`, `X-Amz-Credential` (`<key>/<date>/<region>/iotdevicegateway/aws4_request`),
 *    `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders=host`, sorted, each name and value URI-encoded;
 * 2. canonical request `GET`, the path, that query, `host:<host[:port]>`, `host`, and the SHA-256 of
 *    the empty payload;
 * 3. signature = HMAC with the derived key over the string to sign; appended as `X-Amz-Signature`;
 * 4. AWS IoT's quirk: a session token is NOT part of the signed query — `X-Amz-Security-Token` is
 *    appended after the signature (AWS IoT refuses a URL whose signature covers it).
 */
import { createHash, createHmac } from 'node:crypto';

/** The signing name of AWS IoT's device gateway (MQTT, MQTT over WebSockets). */
const IOT_DEVICE_GATEWAY_SERVICE = 'iotdevicegateway';

/** SigV4 caps a presigned URL's lifetime at seven days. */
const MAX_EXPIRES_SECONDS = 604_800;

/** Hex SHA-256 of the empty payload (a WebSocket upgrade has no body). */
const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');

/** AWS credentials; `sessionToken` for temporary ones (an assumed role). */
export interface MqttUrlCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Input of {@link presignMqttWebSocketUrl}. */
export interface PresignMqttWebSocketUrlOptions {
  /**
   * The WebSocket URL to sign: `wss://<endpoint>/mqtt` on AWS, or the local cloud's
   * `endpoints.mqttWebSocket` (`wss://localhost:<port>/mqtt`; `ws://` on loopback). A query
   * string already on the URL is refused.
   */
  readonly url: string;
  /** The region of the endpoint (`us-east-1`); the signature is scoped to it. */
  readonly region: string;
  readonly credentials: MqttUrlCredentials;
  /**
   * How long the URL may be used to open a connection (an open connection is not cut when it
   * expires). @defaultValue 300
   */
  readonly expiresInSeconds?: number;
  /** Signing time. @defaultValue `new Date()` */
  readonly now?: Date;
}

/** SigV4 URI encoding: everything but `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    ch => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** `2025-01-02T03:04:05.678Z` → `20250102T030405Z`. */
function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Checks the options and throws an `Error` naming the bad value. */
function checked(options: PresignMqttWebSocketUrlOptions): {
  url: URL;
  expires: number;
  now: Date;
} {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new Error(
      `presignMqttWebSocketUrl: url must be an absolute ws:// or wss:// URL, got "${options.url}"`,
    );
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw new Error(
      `presignMqttWebSocketUrl: url must use wss:// (or ws:// on loopback), got ${url.protocol}//`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error(
      `presignMqttWebSocketUrl: url must carry no query string or fragment, got "${options.url}"`,
    );
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(options.region)) {
    throw new Error(
      `presignMqttWebSocketUrl: region must look like us-east-1, got "${options.region}"`,
    );
  }
  const { accessKeyId, secretAccessKey } = options.credentials;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      'presignMqttWebSocketUrl: credentials need an accessKeyId and a secretAccessKey',
    );
  }
  const expires = options.expiresInSeconds ?? 300;
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
    throw new Error(
      `presignMqttWebSocketUrl: expiresInSeconds must be an integer from 1 to ${MAX_EXPIRES_SECONDS}, got ${expires}`,
    );
  }
  const now = options.now ?? new Date();
  if (Number.isNaN(now.getTime()))
    throw new Error('presignMqttWebSocketUrl: now is an invalid Date');
  return { url, expires, now };
}

/**
 * A presigned `ws(s)://…/mqtt?X-Amz-…` URL for MQTT over WebSockets (see the file header).
 *
 * @example
 * presignMqttWebSocketUrl({ url: 'wss://abc-ats.iot.eu-west-1.amazonaws.com/mqtt', region: 'eu-west-1',
 *   credentials: { accessKeyId, secretAccessKey, sessionToken }, expiresInSeconds: 300 })
 * @throws Error naming the bad option (URL scheme, query already present, region, expiry)
 */
export function presignMqttWebSocketUrl(options: PresignMqttWebSocketUrlOptions): string {
  const { url, expires, now } = checked(options);
  const { accessKeyId, secretAccessKey, sessionToken } = options.credentials;
  const time = amzDate(now);
  const date = time.slice(0, 8);
  const scope = `${date}/${options.region}/${IOT_DEVICE_GATEWAY_SERVICE}/aws4_request`;
  // `URL.host` leaves out the default port of the scheme, as a client's Host header does.
  const host = url.host;
  const path = url.pathname === '' ? '/' : url.pathname;

  const signedQuery: Array<[string, string]> = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${accessKeyId}/${scope}`],
    ['X-Amz-Date', time],
    ['X-Amz-Expires', String(expires)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const query = signedQuery
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
    .join('&');
  // Non-S3 services encode the (already encoded) path once more in the canonical URI.
  const canonicalUri = path
    .split('/')
    .map(segment => uriEncode(segment))
    .join('/');
  const canonicalRequest = [
    'GET',
    canonicalUri,
    query,
    `host:${host}\n`,
    'host',
    EMPTY_PAYLOAD_SHA256,
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    time,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, date);
  for (const part of [options.region, IOT_DEVICE_GATEWAY_SERVICE, 'aws4_request'])
    key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');

  let out = `${url.protocol}//${host}${path}?${query}&X-Amz-Signature=${signature}`;
  if (sessionToken) out += `&X-Amz-Security-Token=${uriEncode(sessionToken)}`;
  return out;
}
