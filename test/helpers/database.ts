// A fresh database per test file: an in-memory (or folder) PGlite, or a new PostgreSQL database
// created from TEST_DATABASE_URL's server and dropped afterwards.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { DatabaseTarget } from "../../src/db/database.ts";

export type TestBackend = "pglite" | "postgres";

export const testBackend = (): TestBackend => (process.env.JOBGRAPH_TEST_BACKEND === "postgres" ? "postgres" : "pglite");

export interface TestDatabase {
  target: DatabaseTarget;
  /** a URL for PostgreSQL (several apps can share it), undefined for PGlite */
  url?: string;
  drop(): Promise<void>;
}

/** `persistent`: PGlite in a temp folder (survives closing, for restart tests) instead of memory */
export async function createTestDatabase(opts: { persistent?: boolean } = {}): Promise<TestDatabase> {
  if (testBackend() === "pglite") {
    const dir = opts.persistent ? path.join(mkdtempSync(path.join(os.tmpdir(), "jobgraph-test-")), "pglite") : "memory://";
    return { target: { pgliteDir: dir }, drop: async () => {} };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("JOBGRAPH_TEST_BACKEND=postgres needs TEST_DATABASE_URL");
  const { url, drop } = await createPostgresDatabase(base, "jobgraph_test");
  return { target: { url, poolSize: 20 }, url, drop };
}

/** A new, empty database on the server of `base` (a URL), named `<prefix>_<random>`. */
export async function createPostgresDatabase(base: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
