import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { effectiveKeepalive, topicMatchesFilter, topicSlashes } from '../broker/broker-limits';
import type { LocalCloud } from '../local-cloud-config';
import { connectDevice, provisionDevice, startTestCloud, waitForInterrupt } from './local-cloud-harness';

// AWS IoT Core message broker limits (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits).
let cloud: LocalCloud;
let device: Awaited<ReturnType<typeof provisionDevice>>;

beforeAll(async () => {
  cloud = await startTestCloud();
  device = await provisionDevice(cloud, '444444444444');
});
afterAll(async () => {
  await cloud?.close();
});

/** Minimal MQTT 3.1.1 encoding for a raw client (the SDK's 3.1.1 client sends one filter per SUBSCRIBE). */
function packet(type: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type, ...len]), body]);
}
const str = (s: string): Buffer => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);

function rawConnect(clientId: string, keepalive = 60): Promise<{ socket: TLSSocket; next(): Promise<Buffer> }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: cloud.config.mqtt.port, servername: 'localhost', cert: device.certPem, key: device.keyPem, ca: readFileSync(cloud.config.mqtt.caFile) }, () => {
      socket.write(packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, keepalive >> 8, keepalive & 0xff]), str(clientId)])));
    });
    const queue: Buffer[] = [];
    const waiters: ((b: Buffer) => void)[] = [];
    socket.on('data', data => (waiters.length ? waiters.shift()!(data) : queue.push(data)));
    socket.on('error', reject);
    const next = (): Promise<Buffer> => (queue.length ? Promise.resolve(queue.shift()!) : new Promise(r => waiters.push(r)));
    void next().then(connack => (connack[0] === 0x20 && connack[3] === 0 ? resolve({ socket, next }) : reject(new Error(`CONNACK ${connack.toString('hex')}`))));
  });
}

describe('AWS IoT broker limits', () => {
  it('counts slashes without the Basic Ingest prefix and matches "#" without the parent level', () => {
    expect(topicSlashes('a/b/c/d/e/f/g/h')).toBe(7);
    expect(topicSlashes('$aws/rules/my_rule/a/b/c/d/e/f/g/h')).toBe(7);
    expect(topicMatchesFilter('sensor/#', 'sensor/temperature/room1')).toBe(true);
    expect(topicMatchesFilter('sensor/#', 'sensor')).toBe(false);
    expect(topicMatchesFilter('a/+/c', 'a/b/c')).toBe(true);
  });

  it('clamps keep-alive to 30..1200 seconds instead of refusing the CONNECT', async () => {
    expect([0, 5, 30, 600, 5000].map(effectiveKeepalive)).toEqual([1200, 30, 30, 600, 1200]);
    for (const keepalive of [0, 5000]) {
      const { socket } = await rawConnect(device.thingName, keepalive); // rejects unless CONNACK 0
      socket.destroy();
    }
  });

  it('answers 0x80 for filters beyond 8 in one SUBSCRIBE', async () => {
    const { socket, next } = await rawConnect(device.thingName);
    try {
      const filters = Array.from({ length: 9 }, (_, i) => Buffer.concat([str(`fleet/telemetry/${device.thingName}/t${i}`), Buffer.from([1])]));
      socket.write(packet(0x82, Buffer.concat([Buffer.from([0, 7]), ...filters])));
      const suback = await next();
      expect(suback[0]).toBe(0x90);
      expect([...suback.subarray(4)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0x80]);
    } finally {
      socket.destroy();
    }
  });

  it('refuses the 51st subscription on one connection and filters with more than 7 slashes', async () => {
    const connection = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 51; i++) codes.push((await connection.subscribe(`fleet/telemetry/${device.thingName}/s${i}`, mqtt.QoS.AtMostOnce)).qos as number);
      expect(codes.slice(0, 50).every(c => c === 0)).toBe(true);
      expect(codes[50]).toBe(128);
      await connection.unsubscribe(`fleet/telemetry/${device.thingName}/s0`);
      // 8 slashes: over the limit even though the policy allows the prefix and a slot is free.
      expect((await connection.subscribe(`fleet/telemetry/${device.thingName}/a/b/c/d/e/f`, mqtt.QoS.AtMostOnce)).qos).toBe(128);
      // Unsubscribing freed a slot for a valid filter.
      expect((await connection.subscribe(`fleet/telemetry/${device.thingName}/a/b/c/d/e`, mqtt.QoS.AtMostOnce)).qos).toBe(0);
    } finally {
      await connection.disconnect();
    }
  });

  it('disconnects a publish to a topic longer than 256 bytes', async () => {
    const connection = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    const closed = waitForInterrupt(connection);
    void connection.publish(`fleet/telemetry/${device.thingName}/${'x'.repeat(256)}`, '{}', mqtt.QoS.AtLeastOnce).catch(() => {});
    await closed;
    await connection.disconnect().catch(() => {});
  });
});
