/**
 * The page's script and styles, bundled in memory with esbuild when the server starts (no build
 * step to forget, nothing written to disk, nothing fetched at run time): `console/web/main.tsx`
 * with preact and MQTT.js from node_modules, minified, and `console/web/styles.css`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '../web');

export interface ConsoleBundle {
  readonly js: Buffer;
  readonly css: Buffer;
  readonly html: Buffer;
  /** Bundle time, ms (printed by `fleet console --verbose` and the bench). */
  readonly buildMs: number;
}

/** Bundles the page; an error names the file and line esbuild reported. */
export async function bundleConsole(): Promise<ConsoleBundle> {
  const t0 = performance.now();
  const result = await build({
    entryPoints: [join(WEB_DIR, 'main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // MQTT.js's browser build reads process.env.NODE_ENV.
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    legalComments: 'none',
  }).catch(
    (error: Error & { errors?: { text: string; location?: { file: string; line: number } }[] }) => {
      const first = error.errors?.[0];
      throw new Error(
        `console bundle: ${first ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}` : error.message}`,
      );
    },
  );
  const [css, html] = await Promise.all([
    readFile(join(WEB_DIR, 'styles.css')),
    readFile(join(WEB_DIR, 'index.html')),
  ]);
  return {
    js: Buffer.from(result.outputFiles[0].contents),
    css,
    html,
    buildMs: Math.round(performance.now() - t0),
  };
}
