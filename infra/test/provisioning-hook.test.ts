import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ENVIRONMENTS } from '../environments';
import { bundleProvisioningHook } from '../provisioning-hook/bundle';
import {
  createPreProvisioningHook,
  hookConfigFromEnvironment,
  type PreProvisioningHook,
  type PreProvisioningHookEvent,
} from '../provisioning-hook/handler';

const config = {
  serialPattern: String(ENVIRONMENTS.dev.serialPattern),
  serialDenyList: ['000000000000', 'DEADBEEF0001'],
};

function event(parameters: Record<string, string>): PreProvisioningHookEvent {
  return {
    claimCertificateId: 'a'.repeat(64),
    certificateId: 'b'.repeat(64),
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    templateArn:
      'arn:aws:iot:eu-west-1:123456789012:provisioningtemplate/esp32-fleet-dev-provision',
    clientId: 'esp32-dev-24A160ABCDEF',
    parameters,
  };
}

describe('pre-provisioning hook', () => {
  const logs: Record<string, unknown>[] = [];
  const hook = createPreProvisioningHook({ ...config, log: entry => logs.push(entry) });

  test.each(['24A160ABCDEF', 'A0B1C2D3E4F5'])('allows serial %s', async serial => {
    await expect(hook(event({ SerialNumber: serial }))).resolves.toEqual({
      allowProvisioning: true,
    });
  });

  test.each([
    ['24a160abcdef', 'does not match'],
    ['24A160ABCDE', 'does not match'],
    ['24A160ABCDEF0', 'does not match'],
    ['24A160ABCDEF\n', 'does not match'],
    ['000000000000', 'is on the deny list'],
    ['DEADBEEF0001', 'is on the deny list'],
  ])('refuses serial %j (%s)', async (serial, reason) => {
    logs.length = 0;
    await expect(hook(event({ SerialNumber: serial }))).resolves.toEqual({
      allowProvisioning: false,
    });
    expect(String(logs[0].reason)).toContain(reason);
  });

  test('refuses a request without SerialNumber, or with no parameters at all, without throwing', async () => {
    await expect(hook(event({ Other: 'x' }))).resolves.toEqual({ allowProvisioning: false });
    await expect(
      hook({ ...event({}), parameters: undefined } as unknown as PreProvisioningHookEvent),
    ).resolves.toEqual({ allowProvisioning: false });
  });

  test('reads its configuration from the Lambda environment', () => {
    expect(
      hookConfigFromEnvironment({
        FLEET_SERIAL_PATTERN: '^[0-9]+$',
        FLEET_SERIAL_DENY_LIST: '["1"]',
      }),
    ).toEqual({ serialPattern: '^[0-9]+$', serialDenyList: ['1'] });
    expect(hookConfigFromEnvironment({ FLEET_SERIAL_PATTERN: '^x$' }).serialDenyList).toEqual([]);
    expect(() => hookConfigFromEnvironment({})).toThrow(/FLEET_SERIAL_PATTERN is not set/);
    expect(() =>
      hookConfigFromEnvironment({ FLEET_SERIAL_PATTERN: '^x$', FLEET_SERIAL_DENY_LIST: '[1' }),
    ).toThrow(/FLEET_SERIAL_DENY_LIST is not JSON/);
    expect(() =>
      hookConfigFromEnvironment({ FLEET_SERIAL_PATTERN: '^x$', FLEET_SERIAL_DENY_LIST: '[1]' }),
    ).toThrow(/must be a JSON array of strings/);
    expect(() => createPreProvisioningHook({ serialPattern: '^(x$', serialDenyList: [] })).toThrow(
      /serialPattern \^\(x\$ is not a valid regular expression/,
    );
  });

  describe('the bundled Lambda code', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'fleet-hook-'));
    afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

    test('is one CommonJS file whose handler reads the environment the stack sets', async () => {
      const archive = bundleProvisioningHook(cacheDir);
      expect(bundleProvisioningHook(cacheDir)).toBe(archive);
      // The archive holds exactly index.js, byte for byte the bundle, as Info-ZIP's unzip (an
      // independent reader) sees it; so what Lambda runs is what this test runs.
      const unzip = (...args: string[]) => spawnSync('unzip', args, { encoding: 'buffer' });
      expect(unzip('-tq', archive).status).toBe(0);
      expect(unzip('-Z1', archive).stdout.toString('utf8').trim()).toBe('index.js');
      const extracted = unzip('-p', archive, 'index.js').stdout;
      expect(extracted.equals(readFileSync(join(cacheDir, 'bundle', 'index.js')))).toBe(true);
      const dir = join(cacheDir, 'bundle');
      const saved = { ...process.env };
      process.env.FLEET_SERIAL_PATTERN = config.serialPattern;
      process.env.FLEET_SERIAL_DENY_LIST = JSON.stringify(config.serialDenyList);
      try {
        const bundled = createRequire(import.meta.url)(join(dir, 'index.js')) as {
          handler: PreProvisioningHook;
        };
        await expect(bundled.handler(event({ SerialNumber: '24A160ABCDEF' }))).resolves.toEqual({
          allowProvisioning: true,
        });
        await expect(bundled.handler(event({ SerialNumber: 'DEADBEEF0001' }))).resolves.toEqual({
          allowProvisioning: false,
        });
      } finally {
        process.env = saved;
      }
    });
  });
});
