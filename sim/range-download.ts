/**
 * Downloads an image with HTTP Range requests (RFC 9110 §14), hashing as it goes instead of
 * keeping the bytes (a device writes them to its inactive slot; here nothing needs them after the
 * hash, so 5,000 devices do not hold 5,000 images). After a dropped connection it asks for
 * `bytes=<received>-` and carries on; a server that answers 200 instead of 206 restarts the hash,
 * as the firmware does.
 *
 * Faults for the simulation: `dropAfter` (byte counts at which the connection is cut),
 * `bytesPerSecond` (throttle), `corruptAt` (a byte flipped on the way in).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RangeDownloadOptions {
  readonly dropAfter?: readonly number[];
  readonly bytesPerSecond?: number;
  readonly corruptAt?: number;
  /** Give up after this many failed requests in a row. @defaultValue 5 */
  readonly maxRetries?: number;
  /** Called with the bytes received so far. */
  readonly onProgress?: (received: number) => void;
}

export interface RangeDownloadResult {
  readonly size: number;
  readonly sha256: Buffer;
  readonly requests: number;
  readonly drops: number;
}

class Dropped extends Error {}

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};

export async function rangeDownload(
  url: string,
  options: RangeDownloadOptions = {},
): Promise<RangeDownloadResult> {
  let hash = createHash('sha256');
  let received = 0;
  let requests = 0;
  let drops = 0;
  let failures = 0;
  const dropAfter = [...(options.dropAfter ?? [])].sort((a, b) => a - b);
  const module = url.startsWith('https:') ? https : http;
  const agent = url.startsWith('https:') ? agents.https : agents.http;
  for (;;) {
    requests += 1;
    try {
      const done = await new Promise<boolean>((resolve, reject) => {
        const headers = received > 0 ? { Range: `bytes=${received}-` } : undefined;
        const request = module.get(url, { agent, headers }, response => {
          const status = response.statusCode ?? 0;
          if (status !== 200 && status !== 206) {
            response.resume();
            reject(new Error(`GET ${new URL(url).pathname}: HTTP ${status} at byte ${received}`));
            return;
          }
          if (status === 200 && received > 0) {
            hash = createHash('sha256'); // the server ignored Range: start over
            received = 0;
          }
          let paused = false;
          response.on('data', (chunk: Buffer) => {
            let data = chunk;
            const at = options.corruptAt;
            if (at !== undefined && at >= received && at < received + data.length) {
              data = Buffer.from(data);
              data[at - received] ^= 0xff;
            }
            const cut = dropAfter[0];
            if (cut !== undefined && received + data.length >= cut) {
              dropAfter.shift();
              hash.update(data.subarray(0, cut - received));
              received = cut;
              response.destroy(new Dropped(`dropped at byte ${cut}`));
              return;
            }
            hash.update(data);
            received += data.length;
            options.onProgress?.(received);
            if (options.bytesPerSecond && !paused) {
              paused = true;
              response.pause();
              setTimeout(
                () => ((paused = false), response.resume()),
                (data.length / options.bytesPerSecond) * 1000,
              );
            }
          });
          response.on('end', () => resolve(true));
          response.on('error', reject);
          response.on('close', () => {
            if (!response.complete) reject(new Dropped('connection closed mid-body'));
          });
        });
        request.on('error', reject);
      });
      if (done) return { size: received, sha256: hash.digest(), requests, drops };
    } catch (error) {
      if (error instanceof Dropped) {
        drops += 1;
        await sleep(50);
        continue;
      }
      if (++failures > (options.maxRetries ?? 5)) throw error;
      await sleep(200 * failures);
    }
  }
}
