/**
 * The firmware's own POSIX build (`fleet-device`, `firmware/ports/posix/`) joining the virtual
 * fleet: when `npm run test:firmware` (or a host build) has built it, `npm start` runs a couple
 * of these processes beside the TypeScript devices. Each gets a configuration file of the local
 * cloud's discovery data plus its `device` settings (`ports/posix/fleet_posix_config.h`), and a
 * state dir (its flash file, keys) under `.fleet/firmware/<serial>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { LocalCloudConfig } from '../../local/local-cloud-config';

/** The first fleet-device binary that exists (release-like host build first, then the CI build). */
export function fleetDeviceBinary(repoRoot: string): string | undefined {
  return ['firmware/build/host/posix/fleet-device', 'firmware/build/ci/posix/fleet-device'].map(p => join(repoRoot, p)).find(p => existsSync(p));
}

export interface FirmwareDevices {
  readonly thingNames: readonly string[];
  stop(): Promise<void>;
}

/** Serial of firmware device `index`: `52` + 10 hex digits (the sim's are `51…`). */
export const firmwareSerial = (index: number): string => `52${index.toString(16).toUpperCase().padStart(10, '0')}`;

export async function startFirmwareDevices(options: {
  readonly binary: string;
  readonly cloud: LocalCloudConfig;
  readonly count: number;
  readonly stateDir: string;
  readonly updatePublicKey: KeyObject;
  readonly thingNamePrefix: string;
}): Promise<FirmwareDevices> {
  mkdirSync(options.stateDir, { recursive: true });
  const keyFile = join(options.stateDir, 'update.pub.pem');
  writeFileSync(keyFile, options.updatePublicKey.export({ type: 'spki', format: 'pem' }));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(c => (c.exitCode === null && c.signalCode === null ? new Promise(r => (c.once('exit', r), c.kill('SIGTERM'))) : undefined)),
    );
  };
  const thingNames: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: options.count }, async (_, i) => {
        const serial = firmwareSerial(i);
        const thingName = `${options.thingNamePrefix}-${serial}`;
        const dir = join(options.stateDir, serial);
        mkdirSync(dir, { recursive: true });
        const config = join(dir, 'config.json');
        const device = { serial, thingNamePrefix: options.thingNamePrefix, firmwarePublicKeyFile: keyFile, firmwareVersion: '1.0.0', verifyTimeoutMs: 30_000 };
        writeFileSync(config, JSON.stringify({ ...options.cloud, device }, null, 2));
        const child = spawn(options.binary, ['--config', config, '--state', dir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
        children.push(child);
        let log = '';
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`fleet-device ${serial} did not connect as ${thingName} within 30 s; last log:\n${log.slice(-1500)}`)), 30_000);
          child.stderr!.on('data', (chunk: Buffer) => {
            log = (log + chunk.toString('utf8')).slice(-20_000);
            if (log.includes(`connected as ${thingName}`)) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', code => reject(new Error(`fleet-device ${serial} exited with ${code}; last log:\n${log.slice(-1500)}`)));
        });
        thingNames.push(thingName);
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { thingNames, stop };
}
