/**
 * `npm run bench -- console`: the web console's time to first render with 10,000 things — from
 * navigation to the fleet table showing rows, in headless Chromium (Debian's) — beside two
 * baselines measured in the same run:
 * - the server's `/api/fleet` alone (SearchIndex + GetStatistics over 10,000 index documents, the
 *   part of the first render the page cannot make faster);
 * - a static HTML page with all 10,000 rows (no script, no API call): what "just show the table"
 *   costs the browser.
 * The console renders the first page of 250 rows (the rest on "Load more"), so it can beat the
 * static page. The things are created in the registry directly, each with a reported firmware
 * version in its shadow (UpdateThingShadow over the data plane, as devices report it).
 *
 * Rounds alternate console, API, static; medians of `--rounds` (default 3; a round at 10,000 things takes about a minute on the loaded 2-core machine). `--things` sets the
 * fleet size. Numbers move with the machine's load (printed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { iotService } from '../../local/control-plane/iot-service';
import { startLocalCloud } from '../../local/local-cloud';
import { launchChromium } from '../../console/test/utils/chromium';
import { startConsoleServer } from '../../console/server/console-server';
import { loadConsoleConfig } from '../../console/server/load-console-config';
import { flag } from './support/local-cloud-load';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const THINGS = flag('things', 10_000);
const ROUNDS = flag('rounds', 3);

const versionOf = (thingName: string) => (thingName.endsWith('7') ? '1.0.1' : '1.0.0');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const escape = (s: string) => s.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`);

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function main(): Promise<void> {
  console.log(
    `machine: load average ${loadavg()
      .map(l => l.toFixed(1))
      .join(' ')} on 2 cores before the run (other processes share the CPU)`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-console-'));
  const cloud = await startLocalCloud({
    stateDir: dir,
    mqttPort: 0,
    webSocketPort: 0,
    services: [iotService()],
  });
  const { region, credentials, endpoints } = cloud.config;
  const t0 = performance.now();
  const names = Array.from({ length: THINGS }, (_, i) => `bench-${String(i).padStart(6, '0')}`);
  const groups = ['esp32-fleet-dev-canary', 'esp32-fleet-dev-fleet'];
  names.forEach((thingName, i) =>
    cloud.registry.putThing({ thingName, thingGroupNames: [groups[i % 20 === 0 ? 0 : 1]] }),
  );
  const data = new IoTDataPlaneClient({ region, credentials, endpoint: endpoints.iot! });
  await inParallel(names, 32, async thingName => {
    const version = versionOf(thingName);
    const payload = JSON.stringify({
      state: { reported: { firmware: { version, slot: 'ota_0' } } },
    });
    await data.send(
      new UpdateThingShadowCommand({ thingName, payload: new TextEncoder().encode(payload) }),
    );
  });
  data.destroy();
  console.log(
    `setup: ${THINGS} things with shadows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const server = await startConsoleServer({
    config: loadConsoleConfig({ configFile: cloud.configPath, environment: {} }),
    port: 0,
  });
  await server.ready;

  // The static baseline: every row, rendered once here (not timed) from what the things were
  // given — not through SearchIndex, whose local pages each re-read the whole index.
  const rows = names.map(
    (name, i) =>
      `<tr data-thing="${escape(name)}"><td>offline</td><td>${escape(name)}</td><td>${groups[i % 20 === 0 ? 0 : 1]}</td><td>${versionOf(name)}</td><td>ota_0</td><td></td></tr>`,
  );
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="${server.url}app.css"></head><body><main><table class="table"><tbody>${rows.join('')}</tbody></table></main></body></html>`;
  const staticServer = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(html),
  );
  await new Promise<void>(r => staticServer.listen(0, '127.0.0.1', r));
  const staticUrl = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}/`;

  const browser = await launchChromium();
  const times = { console: [] as number[], api: [] as number[], static: [] as number[] };
  let shown = 0;
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      // Round 0 warms the browser's and the SDK's caches; it is not counted.
      const page = await browser.context.newPage();
      let t = performance.now();
      await page.goto(`${server.url}#/fleet`);
      await page.waitForSelector('tr[data-thing]', { timeout: 60_000 });
      const consoleMs = performance.now() - t;
      shown = await page.locator('tr[data-thing]').count();
      await page.close();

      t = performance.now();
      const res = await fetch(`${server.url}api/fleet`);
      await res.json();
      const apiMs = performance.now() - t;

      const sp = await browser.context.newPage();
      t = performance.now();
      await sp.goto(staticUrl);
      await sp.waitForSelector(`tr[data-thing="${names[names.length - 1]}"]`, { timeout: 60_000 });
      const staticMs = performance.now() - t;
      await sp.close();
      if (round === 0) continue;
      times.console.push(consoleMs);
      times.api.push(apiMs);
      times.static.push(staticMs);
    }
  } finally {
    await browser.close();
    staticServer.close();
    await server.close();
    await cloud.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const c = median(times.console);
  const a = median(times.api);
  const s = median(times.static);
  console.log(
    `console: first render with ${THINGS.toLocaleString('en')} things (navigation → ${shown} rows shown): median ${c.toFixed(0)} ms over ${ROUNDS} rounds (min ${Math.min(...times.console).toFixed(0)}, max ${Math.max(...times.console).toFixed(0)})`,
  );
  console.log(
    `baseline: /api/fleet alone (SearchIndex + GetStatistics over ${THINGS.toLocaleString('en')}): median ${a.toFixed(0)} ms → the page adds ${(c - a).toFixed(0)} ms (load, bundle, render)`,
  );
  console.log(
    `baseline: static HTML page with all ${THINGS.toLocaleString('en')} rows: median ${s.toFixed(0)} ms → console / static = ${(c / s).toFixed(2)}`,
  );
  console.log(
    `machine: load average ${loadavg()
      .map(l => l.toFixed(1))
      .join(' ')} after the run`,
  );
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`console bench: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
