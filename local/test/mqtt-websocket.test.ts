import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { auth, iot, mqtt as crt } from 'aws-iot-device-sdk-v2';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { presignMqttWebSocketUrl } from '../../console/server/presign-mqtt-url';
import { connectDevice, provisionDevice } from './local-cloud-harness';
import { startIotTestCloud, type IotTestCloud } from './utils/iot-test-cloud';

// MQTT over WebSockets with SigV4-signed URLs (issue 11): the official device SDK's websocket
// builder and MQTT.js (the console's client) against the local cloud, refusals at the upgrade,
// the console identity's IoT policy, and lifecycle events.
let t: IotTestCloud;
let device: Awaited<ReturnType<typeof provisionDevice>>;
let ca: string;

beforeAll(async () => {
  t = await startIotTestCloud();
  device = await provisionDevice(t.cloud, 'D1100000000D');
  ca = readFileSync(t.cloud.config.mqtt.caFile, 'utf8');
}, 60_000);
afterAll(async () => {
  await t?.cloud.close();
});

const wssUrl = (): string => t.cloud.config.endpoints.mqttWebSocket!;
const wsUrl = (): string => wssUrl().replace(/^wss:/, 'ws:');
const consoleCredentials = () => t.cloud.config.console!.credentials;
const consoleClientId = (): string => `esp32-fleet-dev-console-${randomUUID().slice(0, 8)}`;
const telemetryTopic = (): string => `fleet/telemetry/${device.thingName}/status`;

function signed(
  url = wssUrl(),
  credentials: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  } = consoleCredentials(),
  extra: { expiresInSeconds?: number; now?: Date } = {},
): string {
  return presignMqttWebSocketUrl({ url, region: t.cloud.config.region, credentials, ...extra });
}

/** Connects MQTT.js (no reconnects) and resolves once CONNACK arrived. */
async function connectMqttJs(url: string, clientId = consoleClientId()): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId,
    ca,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () =>
      reject(new Error(`connection to ${url.split('?')[0]} closed before CONNACK`)),
    );
  });
  return client;
}

/** The next message on `filter` (subscribed first), or a rejection after `ms`. */
async function nextMessage(
  client: MqttClient,
  filter: string,
  ms = 5000,
): Promise<{ topic: string; payload: Buffer }> {
  const granted = await client.subscribeAsync(filter, { qos: 1 });
  if (granted[0]?.qos === 128) throw new Error(`subscription to ${filter} refused`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no message on ${filter} within ${ms} ms`)),
      ms,
    );
    client.on('message', (topic, payload) => {
      clearTimeout(timer);
      resolve({ topic, payload });
    });
  });
}

/** The HTTP answer to a WebSocket upgrade that the server refuses. */
function upgradeRefusal(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'mqtt', { ca });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    ws.on('error', () => {});
  });
}

/** Resolves when the broker closes the MQTT.js connection. */
function closed(client: MqttClient, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`connection was not closed by the broker within ${ms} ms`)),
      ms,
    );
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('MQTT over WebSockets with SigV4', () => {
  it('lets the official SDK websocket builder (static credentials, local CA) subscribe and receive a device publish', async () => {
    const { accessKeyId, secretAccessKey } = consoleCredentials();
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_with_websockets({
      region: t.cloud.config.region,
      credentials_provider: auth.AwsCredentialsProvider.newStatic(accessKeyId, secretAccessKey),
    })
      .with_certificate_authority(ca)
      .with_endpoint('localhost')
      .with_port(Number(new URL(wssUrl()).port))
      .with_client_id(consoleClientId())
      .with_clean_session(true)
      .with_ping_timeout_ms(3000)
      .with_protocol_operation_timeout_ms(5000)
      .build();
    const sdk = new crt.MqttClient().new_connection(config);
    sdk.on('error', () => {});
    const dev = await connectDevice(t.cloud, device.certPem, device.keyPem, device.thingName);
    try {
      await sdk.connect();
      const received = new Promise<{ topic: string; payload: string }>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no telemetry over the SDK websocket within 5 s')),
          5000,
        );
        void sdk.subscribe('fleet/telemetry/#', crt.QoS.AtLeastOnce, (topic, payload) => {
          clearTimeout(timer);
          resolve({ topic, payload: Buffer.from(payload).toString('utf8') });
        });
      });
      await new Promise(resolve => setTimeout(resolve, 100)); // SUBACK before the publish
      await dev.publish(telemetryTopic(), JSON.stringify({ rssi: -61 }), crt.QoS.AtLeastOnce);
      expect(await received).toEqual({ topic: telemetryTopic(), payload: '{"rssi":-61}' });
    } finally {
      await sdk.disconnect().catch(() => {});
      await dev.disconnect();
    }
  });

  it.each([
    ['wss (local CA)', () => wssUrl()],
    ['ws from loopback', () => wsUrl()],
  ])(
    'lets MQTT.js connect with a URL from presignMqttWebSocketUrl over %s and receive a device publish',
    async (_name, base) => {
      const client = await connectMqttJs(signed(base()));
      const dev = await connectDevice(t.cloud, device.certPem, device.keyPem, device.thingName);
      try {
        const message = nextMessage(client, `fleet/telemetry/${device.thingName}/#`);
        await new Promise(resolve => setTimeout(resolve, 100));
        await dev.publish(telemetryTopic(), JSON.stringify({ heap: 1234 }), crt.QoS.AtLeastOnce);
        const { topic, payload } = await message;
        expect(topic).toBe(telemetryTopic());
        expect(JSON.parse(payload.toString('utf8'))).toEqual({ heap: 1234 });
      } finally {
        await client.endAsync();
        await dev.disconnect();
      }
    },
  );

  it('accepts X-Amz-Security-Token appended after the signature, as AWS IoT wants it', async () => {
    const url = signed(wssUrl(), {
      ...consoleCredentials(),
      sessionToken: 'FwoGZXIvYXdzEXAMPLE/+=',
    });
    expect(url).toMatch(
      /&X-Amz-Signature=[0-9a-f]{64}&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2F%2B%3D$/,
    );
    const client = await connectMqttJs(url);
    await client.endAsync();
  });

  it('refuses at the upgrade a URL whose signature covers X-Amz-Security-Token (the AWS SDK presigner puts it there)', async () => {
    const base = new URL(wssUrl());
    const signer = new SignatureV4({
      service: 'iotdevicegateway',
      region: t.cloud.config.region,
      credentials: { ...consoleCredentials(), sessionToken: 'FwoGZXIvYXdzEXAMPLE' },
      sha256: Hash.bind(null, 'sha256'),
    });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: base.hostname,
        port: Number(base.port),
        path: base.pathname,
        query: {},
        headers: { host: base.host },
      },
      { expiresIn: 300 },
    );
    const query = Object.entries(presigned.query as Record<string, string>).map(
      ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
    );
    expect(query.some(pair => pair.startsWith('X-Amz-Security-Token='))).toBe(true);
    const { status, body } = await upgradeRefusal(`${wssUrl()}?${query.join('&')}`);
    expect(status).toBe(403);
    expect(body).toMatch(/^SignatureDoesNotMatch/);
  });

  it('refuses at the upgrade an expired URL with 403 and the reason', async () => {
    const url = signed(wssUrl(), consoleCredentials(), {
      now: new Date(Date.now() - 10 * 60_000),
      expiresInSeconds: 60,
    });
    expect(await upgradeRefusal(url)).toEqual({
      status: 403,
      body: 'RequestExpired: Request has expired\n',
    });
  });

  it('refuses at the upgrade a URL signed with a wrong secret, over wss and ws', async () => {
    for (const base of [wssUrl(), wsUrl()]) {
      const url = signed(base, {
        accessKeyId: consoleCredentials().accessKeyId,
        secretAccessKey: 'not-the-secret-0000000000000000000000000',
      });
      const { status, body } = await upgradeRefusal(url);
      expect(status).toBe(403);
      expect(body).toMatch(
        /^SignatureDoesNotMatch: The request signature we calculated does not match/,
      );
    }
  });

  it('refuses an unknown access key (403), an unsigned upgrade (401), another service or path', async () => {
    expect(
      await upgradeRefusal(
        signed(wssUrl(), { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }),
      ),
    ).toMatchObject({ status: 403, body: expect.stringMatching(/^InvalidAccessKeyId/) });
    expect(await upgradeRefusal(wssUrl())).toMatchObject({
      status: 401,
      body: expect.stringMatching(/^MissingAuthentication/),
    });
    const s3Scoped = signed().replace('%2Fiotdevicegateway%2F', '%2Fs3%2F');
    expect(await upgradeRefusal(s3Scoped)).toMatchObject({
      status: 403,
      body: expect.stringMatching(/^WrongService.*iotdevicegateway/),
    });
    expect(await upgradeRefusal(signed(wssUrl().replace('/mqtt', '/other')))).toMatchObject({
      status: 404,
    });
  });
});

describe('the console identity (IoT policy esp32-fleet-dev-console)', () => {
  it('may not connect with a client id outside esp32-fleet-dev-console-*', async () => {
    await expect(connectMqttJs(signed(), device.thingName)).rejects.toThrow(
      /Not authorized|closed before CONNACK/,
    );
  });

  it('edits desired state through shadow/update and reads the accepted document', async () => {
    const client = await connectMqttJs(signed());
    try {
      const accepted = nextMessage(
        client,
        `$aws/things/${device.thingName}/shadow/update/accepted`,
      );
      await new Promise(resolve => setTimeout(resolve, 100));
      await client.publishAsync(
        `$aws/things/${device.thingName}/shadow/update`,
        JSON.stringify({ state: { desired: { ledOn: true } } }),
        { qos: 1 },
      );
      const document = JSON.parse((await accepted).payload.toString('utf8')) as {
        state: { desired: unknown };
      };
      expect(document.state.desired).toEqual({ ledOn: true });
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync();
    }
  });

  it.each([
    [
      'a job execution update on the device jobs topic',
      () => `$aws/things/${device.thingName}/jobs/rel-1/update`,
      { status: 'SUCCEEDED' },
    ],
    ['telemetry on the device behalf', () => telemetryTopic(), { rssi: -1 }],
    [
      'a job update for a job named "shadow" (the * in shadow/update must not reach it)',
      () => `$aws/things/${device.thingName}/jobs/shadow/update`,
      { status: 'FAILED' },
    ],
  ])(
    'is disconnected for publishing %s (lifecycle event: AUTH_ERROR)',
    async (_what, topic, body) => {
      const clientId = consoleClientId();
      const watcher = await connectMqttJs(signed());
      try {
        const event = nextMessage(watcher, `$aws/events/presence/disconnected/${clientId}`);
        const client = await connectMqttJs(signed(), clientId);
        const gone = closed(client);
        client.publish(topic(), JSON.stringify(body), { qos: 1 });
        await gone;
        client.end(true);
        expect(JSON.parse((await event).payload.toString('utf8'))).toMatchObject({
          clientId,
          disconnectReason: 'AUTH_ERROR',
          principalIdentifier: consoleCredentials().accessKeyId,
        });
      } finally {
        await watcher.endAsync();
      }
    },
  );
});

describe('lifecycle events', () => {
  it('publishes connected and disconnected presence events for a TLS device with AWS payloads', async () => {
    const client = await connectMqttJs(signed());
    const events: Array<Record<string, unknown>> = [];
    client.on('message', (_topic, payload) =>
      events.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>),
    );
    try {
      await client.subscribeAsync(
        [`$aws/events/presence/connected/+`, `$aws/events/presence/disconnected/+`],
        { qos: 1 },
      );
      const dev = await connectDevice(t.cloud, device.certPem, device.keyPem, device.thingName);
      await dev.disconnect();
      const deadline = Date.now() + 5000;
      while (
        events.filter(e => e.clientId === device.thingName).length < 2 &&
        Date.now() < deadline
      )
        await new Promise(resolve => setTimeout(resolve, 20));
      const [connected, disconnected] = events.filter(e => e.clientId === device.thingName);
      expect(connected).toEqual({
        clientId: device.thingName,
        timestamp: expect.any(Number),
        eventType: 'connected',
        sessionIdentifier: expect.stringMatching(/^[0-9a-f-]{36}$/),
        principalIdentifier: device.certificateId,
        ipAddress: expect.stringMatching(/127\.0\.0\.1$/),
        versionNumber: expect.any(Number),
      });
      expect(disconnected).toEqual({
        ...connected,
        timestamp: expect.any(Number),
        eventType: 'disconnected',
        clientInitiatedDisconnect: true,
        disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      });
      expect(disconnected.timestamp as number).toBeGreaterThanOrEqual(
        connected.timestamp as number,
      );
    } finally {
      await client.endAsync();
    }
  });

  it.each([
    ['a WebSocket close frame', (ws: WebSocket) => ws.close(1000), 'CLIENT_INITIATED_DISCONNECT'],
    ['a dropped connection', (ws: WebSocket) => ws.terminate(), 'CONNECTION_LOST'],
  ])('reports %s without DISCONNECT as %s', async (_what, end, reason) => {
    const clientId = consoleClientId();
    const watcher = await connectMqttJs(signed());
    try {
      const event = nextMessage(watcher, `$aws/events/presence/disconnected/${clientId}`);
      // A raw WebSocket speaking MQTT: CONNECT, wait for CONNACK, then end without DISCONNECT.
      const ws = new WebSocket(signed(wsUrl()), 'mqtt');
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      const id = Buffer.from(clientId);
      const variable = Buffer.from([
        0,
        4,
        0x4d,
        0x51,
        0x54,
        0x54,
        4,
        0x02,
        0,
        60,
        id.length >> 8,
        id.length & 0xff,
      ]);
      ws.send(Buffer.concat([Buffer.from([0x10, variable.length + id.length]), variable, id]));
      await new Promise(resolve => ws.once('message', resolve));
      end(ws);
      expect(JSON.parse((await event).payload.toString('utf8'))).toMatchObject({
        clientId,
        disconnectReason: reason,
        clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
      });
    } finally {
      await watcher.endAsync();
    }
  });

  it('reports a takeover as DUPLICATE_CLIENTID and a later connection with a higher versionNumber', async () => {
    const client = await connectMqttJs(signed());
    const events: Array<Record<string, unknown>> = [];
    client.on('message', (_topic, payload) =>
      events.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>),
    );
    const first = await connectDevice(t.cloud, device.certPem, device.keyPem, device.thingName);
    let second: Awaited<ReturnType<typeof connectDevice>> | undefined;
    try {
      await client.subscribeAsync(
        [
          `$aws/events/presence/connected/${device.thingName}`,
          `$aws/events/presence/disconnected/${device.thingName}`,
        ],
        { qos: 1 },
      );
      second = await connectDevice(t.cloud, device.certPem, device.keyPem, device.thingName);
      const deadline = Date.now() + 5000;
      while (events.length < 2 && Date.now() < deadline)
        await new Promise(resolve => setTimeout(resolve, 20));
      const dropped = events.find(e => e.eventType === 'disconnected');
      const joined = events.find(e => e.eventType === 'connected');
      expect(dropped).toMatchObject({
        disconnectReason: 'DUPLICATE_CLIENTID',
        clientInitiatedDisconnect: false,
      });
      expect(joined!.versionNumber as number).toBeGreaterThan(dropped!.versionNumber as number);
      expect(joined!.sessionIdentifier).not.toBe(dropped!.sessionIdentifier);
    } finally {
      await second?.disconnect();
      await first.disconnect().catch(() => {});
      await client.endAsync();
    }
  });
});
