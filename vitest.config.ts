import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

// Unit tests (no database) run once. Every database test runs against embedded PGlite, and
// against real PostgreSQL too when TEST_DATABASE_URL is set (.ci/run sets it): each test file
// creates its own fresh database there.
const postgres = process.env.TEST_DATABASE_URL;

export default defineConfig({
  // One copy of graphql for everybody: vite would give our sources graphql's ESM build while
  // yoga and Pothos (loaded by Node) get the CommonJS one, and `instanceof GraphQLError` fails.
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve("graphql") }] },
  test: {
    // two files at a time on this 2-core machine (vitest's default, cores - 1, is one): most
    // files spend their time waiting on PostgreSQL, child processes or a browser, not on the CPU
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "pglite", include: ["test/*.test.ts"], env: { JOBGRAPH_TEST_BACKEND: "pglite" } } },
      ...(postgres
        ? [{ extends: true as const, test: { name: "postgres", include: ["test/*.test.ts"], env: { JOBGRAPH_TEST_BACKEND: "postgres" } } }]
        : []),
    ],
  },
});
