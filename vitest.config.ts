import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    globalSetup: ['./test/tools/build.ts'],
    reporters: ['default', './test/tools/summary-reporter.ts'],
  },
});
