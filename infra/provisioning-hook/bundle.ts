/**
 * Bundles `handler.ts` into one CommonJS file for the Lambda runtime, at synth time, with esbuild
 * (no extra Terraform provider, no build step before `cdktf synth`), and zips it
 * (`provisioning-hook.zip`, one entry `index.js`). We zip here rather than let cdktf archive a
 * directory: cdktf's ARCHIVE asset starts a child `node` process per stack to run its zipper
 * (~0.4 s each on our CI machine), while this zip is made once, deterministically, and each
 * stack just copies it.
 *
 * Cached twice: in the process (synthesizing dev and prod bundles once) and on disk, keyed by the
 * SHA-256 of the hook's sources, so a later synth with unchanged sources does not even load
 * esbuild.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSingleFile } from './zip-single-file';

const hookDir = dirname(fileURLToPath(import.meta.url));
/** The file the bundle starts from. */
export const HOOK_ENTRY = join(hookDir, 'handler.ts');
/** The Lambda handler setting for the bundle: file `index.js`, export `handler`. */
export const HOOK_LAMBDA_HANDLER = 'index.handler';

const bundled = new Map<string, string>();

/** File name of the archive the Lambda's code is uploaded from. */
export const HOOK_ARCHIVE_NAME = 'provisioning-hook.zip';

/** SHA-256 over the hook's source files (everything in this directory except the bundler). */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(hookDir).sort()) {
    if (!name.endsWith('.ts') || name === 'bundle.ts' || name === 'zip-single-file.ts') continue;
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(hookDir, name)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Bundles the hook into `<cacheDir>/bundle/index.js` and zips it into
 * `<cacheDir>/provisioning-hook.zip`, unless an up-to-date archive is there.
 * @param cacheDir - a directory this function owns (created if missing)
 * @returns the path of the ZIP archive to upload as the Lambda's code
 */
export function bundleProvisioningHook(cacheDir: string): string {
  const known = bundled.get(cacheDir);
  if (known !== undefined) return known;
  const outFile = join(cacheDir, 'bundle', 'index.js');
  const archive = join(cacheDir, HOOK_ARCHIVE_NAME);
  const stampFile = join(cacheDir, 'source.sha256');
  const hash = sourceHash();
  const upToDate =
    existsSync(archive) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash;
  if (!upToDate) {
    mkdirSync(dirname(outFile), { recursive: true });
    // Loaded only on a cache miss: esbuild starts a native binary.
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    esbuild.buildSync({
      entryPoints: [HOOK_ENTRY],
      outfile: outFile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: false,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    writeFileSync(archive, zipSingleFile('index.js', readFileSync(outFile)));
    writeFileSync(stampFile, hash);
  }
  bundled.set(cacheDir, archive);
  return archive;
}
