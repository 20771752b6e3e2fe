import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../config/load-worker-config';

const dir = mkdtempSync(join(tmpdir(), 'fleet-worker-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function localCloudJson(endpoints: Record<string, string | null>): string {
  writeFileSync(
    join(dir, 'local-cloud.json'),
    JSON.stringify({
      region: 'eu-west-1',
      accountId: '000000000000',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
      mqtt: { host: '127.0.0.1', port: 8883, serverName: 'localhost', caFile: '/x' },
      endpoints: { iot: null, iotJobsData: null, s3: null, kms: null, ...endpoints },
      claim: null,
      provisioningTemplate: null,
    }),
  );
  return dir;
}

describe('worker configuration', () => {
  it('derives the stack resource names from local-cloud.json and the environment name', () => {
    const config = loadWorkerConfig({
      localStateDir: localCloudJson({
        s3: 'http://127.0.0.1:1',
        kms: 'http://127.0.0.1:2',
        iot: 'http://127.0.0.1:3',
      }),
      env: 'dev',
      environment: {},
    });
    expect(config).toMatchObject({
      region: 'eu-west-1',
      accountId: '000000000000',
      firmwareBucket: 'esp32-fleet-dev-firmware-000000000000',
      secureBootKey: { kind: 'kms', keyId: 'alias/esp32-fleet-dev/secure-boot' },
      updateKey: { kind: 'kms', keyId: 'alias/esp32-fleet-dev/update' },
      presignRoleArn: 'arn:aws:iam::000000000000:role/esp32-fleet-dev-jobs-presign',
      thingGroupPrefix: 'esp32-fleet-dev-',
      endpoints: { s3: 'http://127.0.0.1:1', kms: 'http://127.0.0.1:2', iot: 'http://127.0.0.1:3' },
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'fleet',
    });
  });

  it('refuses a local cloud that does not serve S3 yet, naming the field', () => {
    expect(() =>
      loadWorkerConfig({
        localStateDir: localCloudJson({ kms: 'http://127.0.0.1:2' }),
        environment: {},
      }),
    ).toThrow(
      `${join(dir, 'local-cloud.json')}: endpoints.s3 is null: the local cloud does not serve S3 yet`,
    );
  });

  it('names every missing AWS setting by its environment variable', () => {
    expect(() => loadWorkerConfig({ environment: {}, cwd: dir + '/nowhere' })).toThrow(
      /worker configuration \(environment\): region \(AWS_REGION\): required; accountId \(FLEET_ACCOUNT_ID\): required; firmwareBucket \(FLEET_FIRMWARE_BUCKET\): required; secureBootKey \(FLEET_SECURE_BOOT_KEY\): required; updateKey \(FLEET_UPDATE_KEY\): required; presignRoleArn \(FLEET_PRESIGN_ROLE_ARN\): required/,
    );
  });

  it('reads AWS settings and checks their form', () => {
    const environment = {
      AWS_REGION: 'eu-west-1',
      FLEET_ACCOUNT_ID: '123456789012',
      FLEET_FIRMWARE_BUCKET: 'esp32-fleet-prod-firmware-123456789012',
      FLEET_SECURE_BOOT_KEY: 'kms:alias/esp32-fleet-prod/secure-boot',
      FLEET_UPDATE_KEY: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
      FLEET_PRESIGN_ROLE_ARN: 'arn:aws:iam::123456789012:role/esp32-fleet-prod-jobs-presign',
    };
    const config = loadWorkerConfig({ env: 'prod', environment, cwd: dir + '/nowhere' });
    expect(config.updateKey).toEqual({
      kind: 'kms',
      keyId: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
    });
    expect(config.credentials).toBeUndefined();
    expect(() =>
      loadWorkerConfig({
        env: 'prod',
        environment: { ...environment, FLEET_UPDATE_KEY: 'update-key' },
        cwd: dir + '/nowhere',
      }),
    ).toThrow('FLEET_UPDATE_KEY: expected kms:<key id> or a .pem file path, got "update-key"');
    expect(() =>
      loadWorkerConfig({
        env: 'prod',
        environment: { ...environment, FLEET_GATE_POLL_SECONDS: 'soon' },
        cwd: dir + '/nowhere',
      }),
    ).toThrow('FLEET_GATE_POLL_SECONDS: expected a number, got "soon"');
  });
});
