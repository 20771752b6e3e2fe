/**
 * Bundles `handler.ts` into one CommonJS file for the Lambda runtime, at synth time, with esbuild
 * (no extra Terraform provider, no build step before `cdktf synth`).
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

const hookDir = dirname(fileURLToPath(import.meta.url));
/** The file the bundle starts from. */
export const HOOK_ENTRY = join(hookDir, 'handler.ts');
/** The Lambda handler setting for the bundle: file `index.js`, export `handler`. */
export const HOOK_LAMBDA_HANDLER = 'index.handler';

const bundled = new Map<string, string>();

/** SHA-256 over the hook's source files (everything in this directory except the bundler). */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(hookDir).sort()) {
    if (!name.endsWith('.ts') || name === 'bundle.ts') continue;
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(hookDir, name)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Bundles the hook into `<cacheDir>/bundle/index.js` unless an up-to-date bundle is there.
 * @param cacheDir - a directory this function owns (created if missing)
 * @returns the directory to archive as the Lambda's code (it holds only `index.js`)
 */
export function bundleProvisioningHook(cacheDir: string): string {
  const known = bundled.get(cacheDir);
  if (known !== undefined) return known;
  const outDir = join(cacheDir, 'bundle');
  const stampFile = join(cacheDir, 'source.sha256');
  const hash = sourceHash();
  const upToDate =
    existsSync(join(outDir, 'index.js')) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === hash;
  if (!upToDate) {
    mkdirSync(outDir, { recursive: true });
    // Loaded only on a cache miss: esbuild starts a native binary.
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    esbuild.buildSync({
      entryPoints: [HOOK_ENTRY],
      outfile: join(outDir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: false,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    writeFileSync(stampFile, hash);
  }
  bundled.set(cacheDir, outDir);
  return outDir;
}
