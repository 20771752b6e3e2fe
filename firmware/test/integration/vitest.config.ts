import { defineConfig } from 'vitest/config';

// Integration runs of the POSIX build (fleet-device) against the local cloud. The root config
// excludes firmware/; `npm run test:firmware` runs these after building fleet-device.
export default defineConfig({
  test: {
    globals: false,
    root: new URL('.', import.meta.url).pathname,
    include: ['*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
