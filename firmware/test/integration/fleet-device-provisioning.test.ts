/**
 * fleet-device (the POSIX build of the firmware) against the local cloud: provisioning by claim
 * on first start, no second provisioning on restart, and a power cut (SIGKILL) while
 * provisioning leaving either no identity or a whole one.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud } from '../../../local/test/local-cloud-harness';
import type { LocalCloud } from '../../../local/local-cloud-config';
import { FleetDeviceProcess, stopAllDevices, writeDeviceConfig } from './fleet-device-process';

const THING_PREFIX = 'esp32-dev';

let cloud: LocalCloud;
let publicKeyFile: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  const dir = mkdtempSync(join(tmpdir(), 'fleet-signing-'));
  publicKeyFile = join(dir, 'firmware-signing.pub.pem');
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
});

afterAll(async () => {
  await stopAllDevices();
  await cloud?.close();
});

/** A serial as the ESP32 port makes it (base MAC, 12 hex digits): the hook's pattern. */
function macSerial(): string {
  return randomBytes(6).toString('hex').toUpperCase();
}

function newDevice(serial: string): { configPath: string; stateDir: string } {
  const configPath = writeDeviceConfig(cloud.config, { serial, thingNamePrefix: THING_PREFIX, firmwarePublicKeyFile: publicKeyFile, firmwareVersion: '1.0.0' });
  return { configPath, stateDir: mkdtempSync(join(tmpdir(), 'fleet-device-state-')) };
}

describe('fleet-device provisioning by claim', () => {
  it('provisions itself on first start, then restarts as the thing without provisioning again', async () => {
    const serial = macSerial();
    const { configPath, stateDir } = newDevice(serial);
    const first = new FleetDeviceProcess(configPath, stateDir);
    await first.waitForLine(new RegExp(`connected as ${THING_PREFIX}-${serial}`));
    expect(first.lines.some(l => l.includes('provisioning by claim'))).toBe(true);
    expect(cloud.registry.getThing(`${THING_PREFIX}-${serial}`)).toBeDefined();
    expect(existsSync(join(stateDir, 'nvs', 'fleet_creds'))).toBe(true);
    expect((await first.stop()).code).toBe(0);

    const thingsBefore = cloud.registry.listThings().length;
    const second = new FleetDeviceProcess(configPath, stateDir);
    await second.waitForLine(new RegExp(`connected as ${THING_PREFIX}-${serial}`));
    expect(second.lines.some(l => l.includes('provisioning by claim'))).toBe(false);
    expect(second.lines.some(l => l.includes('claim certificate'))).toBe(false);
    expect(cloud.registry.listThings().length).toBe(thingsBefore);
    await second.stop();
  });

  it('backs off with the reason when the pre-provisioning hook refuses its serial, never looping hot', async () => {
    const { configPath, stateDir } = newDevice('NOT-A-MAC');
    const device = new FleetDeviceProcess(configPath, stateDir);
    await device.waitForLine(/provisioning attempt 3 failed: RegisterThing rejected: AccessDenied/, 60_000);
    await device.stop();
    const delays = device.lines
      .map(l => /provisioning attempt \d+ failed: .*retrying in (\d+) ms/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(m => Number(m[1]));
    expect(delays.length).toBeGreaterThanOrEqual(3);
    expect(delays.every(d => d >= 500)).toBe(true);
    expect(delays[2]).toBeGreaterThan(delays[0]);
    expect(existsSync(join(stateDir, 'nvs', 'fleet_creds'))).toBe(false);
  });

  it('after a power cut during provisioning it starts over or keeps the whole identity, never half', async () => {
    const serial = macSerial();
    const { configPath, stateDir } = newDevice(serial);
    const first = new FleetDeviceProcess(configPath, stateDir);
    await first.waitForLine(/connecting to .* \(claim certificate\)/);
    await first.stop('SIGKILL');
    const second = new FleetDeviceProcess(configPath, stateDir);
    await second.waitForLine(new RegExp(`connected as ${THING_PREFIX}-${serial}`));
    expect(second.lines.some(l => /credentials record unreadable/.test(l))).toBe(false);
    await second.stop();
  });
});
