// Applies Prisma-layout migrations (prisma/migrations/<name>/migration.sql) without Prisma's
// native engine, on PostgreSQL and PGlite alike, and records them in `_prisma_migrations`
// exactly as `prisma migrate deploy` does, so Prisma's own tooling agrees with us.
//
// - Serialised across processes by a session-level advisory lock (the key Prisma uses).
// - Each migration runs in its own transaction: a failing one leaves the database as it was.
//   Its row stays behind with the error in `logs` and `rolled_back_at` set (it *was* rolled
//   back), so the history shows the failure and a corrected file is applied on the next deploy.
// - A migration already applied whose file changed since is reported, not re-applied.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { SqlSession } from "./session.ts";

const PRISMA_MIGRATE_LOCK = 72707369;

export class MigrationError extends Error {
  constructor(readonly migration: string, cause: string) {
    super(`migration ${migration} failed and was rolled back: ${cause}`);
    this.name = "MigrationError";
  }
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

export interface MigrationReport {
  applied: string[];
  /** applied earlier, but the file on disk has changed since */
  modified: string[];
}

export async function migrate(session: SqlSession, migrations: MigrationFile[]): Promise<MigrationReport> {
  await session.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
  try {
    await session.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const rows = await session.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations"
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const done = new Map(rows.map((r) => [r.migration_name, r.checksum]));
    const report: MigrationReport = { applied: [], modified: [] };
    for (const m of migrations) {
      const checksum = done.get(m.name);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) report.modified.push(m.name);
        continue;
      }
      const id = randomUUID();
      await session.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), 0)`,
        [id, m.checksum, m.name],
      );
      try {
        await session.exec("BEGIN");
        await session.exec(m.sql);
        await session.query(
          `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
          [id],
        );
        await session.exec("COMMIT");
      } catch (e) {
        await session.exec("ROLLBACK").catch(() => {});
        const message = e instanceof Error ? e.message : String(e);
        await session.query(
          `UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = now() WHERE id = $1`,
          [id, message],
        );
        throw new MigrationError(m.name, message);
      }
      report.applied.push(m.name);
    }
    return report;
  } finally {
    await session.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]).catch(() => {});
  }
}
