import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsoleConfigError, loadConsoleConfig } from '../server/load-console-config';

const dir = mkdtempSync(join(tmpdir(), 'console-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(content: unknown): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const local = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIAADMIN', secretAccessKey: 'admin' },
  endpoints: { iot: 'http://127.0.0.1:1', mqttWebSocket: 'wss://localhost:2/mqtt' },
  console: {
    credentials: { accessKeyId: 'AKIACONSOLE', secretAccessKey: 'console' },
    policyName: 'esp32-fleet-dev-console',
  },
};

describe('loadConsoleConfig', () => {
  it('reads the local cloud: admin credentials for the APIs, the console identity for the page', () => {
    const config = loadConsoleConfig({ configFile: file(local), environment: {} });
    expect(config).toMatchObject({
      local: true,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAADMIN' },
      browserCredentials: { accessKeyId: 'AKIACONSOLE' },
      iotEndpoint: 'http://127.0.0.1:1',
      mqttWebSocketUrl: 'wss://localhost:2/mqtt',
      clientIdPrefix: 'esp32-fleet-dev-console-',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'fleet',
    });
  });

  it('uses AWS from the environment when there is no local cloud', () => {
    const config = loadConsoleConfig({
      environment: { AWS_REGION: 'us-east-1', FLEET_ENV: 'prod' },
      cwd: dir,
    });
    expect(config).toMatchObject({
      local: false,
      region: 'us-east-1',
      clientIdPrefix: 'esp32-fleet-prod-console-',
    });
    expect(config.browserCredentials).toBeUndefined();
  });

  it.each([
    [{ ...local, console: null }, /console\.credentials is missing/],
    [
      { ...local, endpoints: { iot: 'http://127.0.0.1:1', mqttWebSocket: null } },
      /endpoints\.mqttWebSocket is not set/,
    ],
    [
      { ...local, endpoints: { iot: null, mqttWebSocket: 'wss://localhost:2/mqtt' } },
      /endpoints\.iot is null/,
    ],
    [{ ...local, region: 3 }, /: region: /],
    ['{', /: not JSON \(/],
  ])('names what is wrong with a local-cloud.json (%#)', (content, message) => {
    const path = file(content);
    expect(() => loadConsoleConfig({ configFile: path, environment: {} })).toThrow(
      ConsoleConfigError,
    );
    expect(() => loadConsoleConfig({ configFile: path, environment: {} })).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() =>
      loadConsoleConfig({ configFile: join(dir, 'nope.json'), environment: {} }),
    ).toThrow(/nope\.json: cannot read it \(ENOENT\)/);
  });

  it('names a bad environment setting', () => {
    expect(() => loadConsoleConfig({ environment: {}, cwd: dir })).toThrow(/^AWS_REGION: not set/);
    expect(() =>
      loadConsoleConfig({ configFile: file(local), environment: { FLEET_QUEUE_PREFIX: 'a:b' } }),
    ).toThrow(/^FLEET_QUEUE_PREFIX: /);
    expect(() =>
      loadConsoleConfig({ configFile: file(local), environment: { REDIS_URL: 'localhost' } }),
    ).toThrow(/^REDIS_URL: /);
  });
});
