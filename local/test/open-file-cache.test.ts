import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenFileCache } from '../s3/open-file-cache';

describe('OpenFileCache (ranged GETs of a local S3 object file)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function file(bytes: Buffer): string {
    const dir = mkdtempSync(join(tmpdir(), 'open-file-cache-'));
    dirs.push(dir);
    const path = join(dir, 'data');
    writeFileSync(path, bytes);
    return path;
  }

  it('answers reads of one range that arrive together with one buffer (a fleet asking for one image)', async () => {
    const bytes = Buffer.alloc(1024 * 1024 + 4096, 7);
    const path = file(bytes);
    const cache = new OpenFileCache(4, 32 * 1024 * 1024);
    const reads = await Promise.all(
      Array.from({ length: 50 }, () => cache.read(path, 0, bytes.length)),
    );
    expect(reads[0].equals(bytes)).toBe(true);
    expect(new Set(reads).size).toBe(1);
    expect(await cache.read(path, 0, bytes.length)).toBe(reads[0]);
    cache.clear();
  });

  it('reads ranges above its share limit for each caller, and re-reads a forgotten file', async () => {
    const path = file(Buffer.from('0123456789'));
    const cache = new OpenFileCache(4, 32); // shares up to 4 bytes
    expect(cache.shares(4)).toBe(true);
    expect(cache.shares(5)).toBe(false);
    const [a, b] = await Promise.all([cache.read(path, 0, 8), cache.read(path, 0, 8)]);
    expect(a.toString()).toBe('01234567');
    expect(a).not.toBe(b);
    expect((await cache.read(path, 6, 4)).toString()).toBe('6789');
    cache.forget(path);
    writeFileSync(path, 'abcdefghij');
    expect((await cache.read(path, 6, 4)).toString()).toBe('ghij');
    await expect(cache.read(path, 8, 4)).rejects.toThrow(/ends at byte 10, before 12/);
    cache.clear();
  });
});
