/**
 * Connecting as a device: a failed connect (a broker that is not up yet, or swamped by a fleet
 * rebooting at once) is tried again with a growing delay, as firmware does; after the last
 * attempt the error names the client and the attempts. Against the real local cloud over mutual
 * TLS with the stack's claim certificate.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCloud, tempStateDir } from '../../local/test/local-cloud-harness';
import {
  connectMqttRetrying,
  deviceTls,
  errorText,
  retriedConnectFailures,
} from '../device-connection';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

describe('device connections', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('connects once the broker is up when the first attempts find nothing listening', async () => {
    const stateDir = tempStateDir();
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const port = await freePort();
    // A first start makes the CA and claim certificate the device carries; then the broker is down.
    const first = await startTestCloud({ stateDir, mqttPort: port });
    const { claim, mqtt } = first.config;
    await first.close();
    const tls = deviceTls(
      { host: 'localhost', port, caPem: readFileSync(mqtt.caFile, 'utf8') },
      readFileSync(claim!.certFile, 'utf8'),
      readFileSync(claim!.keyFile, 'utf8'),
    );
    const failedBefore = [...retriedConnectFailures().values()].reduce((a, b) => a + b, 0);
    const connecting = connectMqttRetrying(tls, 'esp32-dev-510000000001', 8); // up to ~40 s for a slow start
    await new Promise(resolve => setTimeout(resolve, 300));
    const cloud = await startTestCloud({ stateDir, mqttPort: port });
    cleanups.push(() => cloud.close());
    const connection = await connecting;
    await connection.disconnect();
    const failedAfter = [...retriedConnectFailures().values()].reduce((a, b) => a + b, 0);
    expect(failedAfter).toBeGreaterThan(failedBefore);
    expect([...retriedConnectFailures().keys()].join('\n')).toMatch(/Failed to connect/);
  });

  it('gives up after the last attempt with an error naming the client and the attempts', async () => {
    const stateDir = tempStateDir();
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const cloud = await startTestCloud({ stateDir });
    const { claim, mqtt } = cloud.config;
    await cloud.close();
    const tls = deviceTls(
      { host: 'localhost', port: await freePort(), caPem: readFileSync(mqtt.caFile, 'utf8') },
      readFileSync(claim!.certFile, 'utf8'),
      readFileSync(claim!.keyFile, 'utf8'),
    );
    await expect(connectMqttRetrying(tls, 'esp32-dev-510000000002', 2)).rejects.toThrow(
      /^esp32-dev-510000000002: Failed to connect: .+ \(2 attempts\)$/,
    );
  });

  it('keeps the text of aws-crt failures, which are plain strings', () => {
    expect(errorText('Failed to connect: socket operation timed out.')).toBe(
      'Failed to connect: socket operation timed out.',
    );
    expect(errorText(new Error('no start-next reply'))).toBe('no start-next reply');
  });
});
