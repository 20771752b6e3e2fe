/**
 * The console server's routes against a real local cloud and Redis: a presigned connection the
 * `mqtt` client opens as the console identity, fleet pages from the index, and the clear 4xx
 * answers to bad requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotService } from '../../local/control-plane/iot-service';
import { startLocalCloud } from '../../local/local-cloud';
import type { LocalCloud } from '../../local/local-cloud-config';
import { testPrefix } from '../../test/utils/cleanup-redis';
import type { ConnectionInfo, FleetPage } from '../shared/console-api';
import { startConsoleServer, type ConsoleServer } from '../server/console-server';
import { loadConsoleConfig } from '../server/load-console-config';

describe('console routes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-console-routes-'));
  let cloud: LocalCloud;
  let server: ConsoleServer;
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path.slice(1)}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    cloud = await startLocalCloud({
      stateDir: dir,
      mqttPort: 0,
      webSocketPort: 0,
      services: [iotService()],
    });
    for (let i = 0; i < 3; i++)
      cloud.registry.putThing({
        thingName: `thing-${i}`,
        thingGroupNames: i === 0 ? ['esp32-fleet-dev-canary'] : [],
      });
    server = await startConsoleServer({
      config: loadConsoleConfig({
        configFile: cloud.configPath,
        environment: { FLEET_QUEUE_PREFIX: testPrefix() },
      }),
      port: 0,
    });
  });
  afterAll(async () => {
    await server?.close();
    await cloud?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands out a presigned WebSocket URL the mqtt client opens as the console', async () => {
    const { status, body } = await get('/api/connection');
    const info = body as unknown as ConnectionInfo;
    expect(status).toBe(200);
    expect(info.url).toMatch(
      /^ws:\/\/localhost:\d+\/mqtt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=/,
    );
    expect(info.url).not.toContain(cloud.config.credentials.secretAccessKey);
    expect(info.clientId).toMatch(/^esp32-fleet-dev-console-[0-9a-f]{12}$/);
    const client = await mqtt.connectAsync(info.url, {
      clientId: info.clientId,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const granted = await client.subscribeAsync('$aws/events/presence/connected/+');
    expect(granted.map(g => g.qos)).toEqual([0]);
    await client.endAsync();
  });

  it('serves fleet pages from the index, filtered by group', async () => {
    const all = (await get('/api/fleet')).body as unknown as FleetPage;
    expect([all.total, all.things.map(t => t.thingName)]).toEqual([
      3,
      ['thing-0', 'thing-1', 'thing-2'],
    ]);
    const canary = (await get('/api/fleet?group=esp32-fleet-dev-canary'))
      .body as unknown as FleetPage;
    expect([canary.query, canary.things.map(t => t.thingName)]).toEqual([
      'thingGroupNames:esp32-fleet-dev-canary',
      ['thing-0'],
    ]);
  });

  it('answers bad requests with a 4xx that says what is wrong', async () => {
    expect(await get('/api/fleet?search=a%20b')).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^search: /) },
    });
    expect(await get('/api/things/nope')).toMatchObject({
      status: 404,
      body: { error: expect.stringMatching(/nope/) },
    });
    expect(await get('/api/nothing')).toMatchObject({
      status: 404,
      body: { error: 'no route GET /api/nothing' },
    });
    const post = (path: string, init: RequestInit) =>
      fetch(`${server.url}${path.slice(1)}`, { method: 'POST', ...init });
    const form = await post('/api/rollouts/r1/pause', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(form.status).toBe(415);
    const unknown = await post('/api/rollouts/r1/explode', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([unknown.status, ((await unknown.json()) as { error: string }).error]).toEqual([
      404,
      '/api/rollouts/r1/explode: no action "explode" (expected pause, resume, abort)',
    ]);
    const missing = await post('/api/rollouts/r1/pause', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'no rollout r1' }]);
    const page = await fetch(server.url);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
