import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run fuzz`: the long run of the syscall fuzzer, outside `npm test`
// (the base configuration's settings, its own files: mergeConfig would add them to the suite's).
export default defineConfig({ test: { ...base.test, include: ['test/fuzz/**/*.fuzz.ts'] } });
