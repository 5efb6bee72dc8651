import { defineConfig } from 'vitest/config';

// Tracing tests pin tracees and the tracer to CPUs and spawn many processes:
// running test files one after another keeps timings and CPU use predictable.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
