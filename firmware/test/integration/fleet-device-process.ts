/**
 * Runs `fleet-device` (the POSIX build of the firmware) as a child process and watches its log,
 * for integration tests against the local cloud. SIGKILL stands in for a power cut.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LocalCloudConfig } from '../../../local/local-cloud-config';

/** The binary `npm run test:firmware` builds (with ASan/UBSan). */
export const FLEET_DEVICE_BIN = resolve(import.meta.dirname, '../../build/ci/posix/fleet-device');

/** The `device` part of fleet-device's configuration (ports/posix/fleet_posix_config.h). */
export interface DeviceSettings {
  serial: string;
  thingNamePrefix: string;
  firmwarePublicKeyFile: string;
  firmwareVersion?: string;
  firmwareImage?: string;
  verifyTimeoutMs?: number;
  slotSizeBytes?: number;
  /** Fault injection: the app with this descriptor version never reaches MQTT. */
  faultNoConnectVersion?: string;
}

/** Writes a configuration file: the local cloud's discovery data plus the device settings. */
export function writeDeviceConfig(cloud: LocalCloudConfig, device: DeviceSettings): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-device-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ ...cloud, device }, null, 2));
  return path;
}

const running = new Set<FleetDeviceProcess>();

/** Kills every device still running (afterAll: a failed assertion must not leave processes). */
export async function stopAllDevices(): Promise<void> {
  await Promise.all([...running].map(device => device.stop('SIGKILL')));
}

/** A running fleet-device whose stderr lines are kept for assertions. */
export class FleetDeviceProcess {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly configPath: string,
    readonly stateDir: string,
  ) {
    if (!existsSync(FLEET_DEVICE_BIN)) {
      throw new Error(
        `${FLEET_DEVICE_BIN} is missing: run "npm run test:firmware" (it builds it first)`,
      );
    }
    this.child = spawn(FLEET_DEVICE_BIN, ['--config', configPath, '--state', stateDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // libmosquitto (and the OpenSSL under it) keeps global state until exit; leaks there are not ours.
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' },
    });
    let partial = '';
    this.child.stderr!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const wake of this.waiters) wake();
    });
    running.add(this);
    this.exited = new Promise(resolveExit => {
      this.child.on('exit', (code, signal) => {
        running.delete(this);
        resolveExit({ code, signal });
      });
    });
  }

  /** Resolves with the `occurrence`-th log line (counting from the start) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs = 30_000, occurrence = 1): Promise<string> {
    return new Promise((resolveLine, reject) => {
      const check = (): boolean => {
        const line = this.lines.filter(l => pattern.test(l))[occurrence - 1];
        if (line === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolveLine(line);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(
          new Error(
            `no log line matching ${pattern} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }

  /** Sends a signal and waits for the process to end. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
