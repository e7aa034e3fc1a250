import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // Two test files at a time even on 2 cores: most suites wait on sshd, PostgreSQL or a
    // browser rather than compute, and one at a time (the default there) takes about 1.3× as long.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    env: {
      ACCESS_TEST_PG_URL: process.env['ACCESS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
});
