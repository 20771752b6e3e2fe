import { defineConfig } from 'vitest/config';

// Tests share one Redis and bind real sockets, so files run one at a time
// (BullMQ's own vitest.config.ts does the same).
export default defineConfig({
  test: {
    globals: false,
    include: ['**/test/**/*.test.ts'],
    exclude: ['node_modules/**', 'cdktf.out/**', 'firmware/**'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
