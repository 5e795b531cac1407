// Migrations: applied at start-up (and by `jobgraph migrate`), once, recorded in
// `_prisma_migrations` as `prisma migrate deploy` records them; serialised by Prisma's advisory
// lock; a failing migration leaves the database as it was and the service refuses to start.
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { MIGRATIONS_DIR } from "../src/app.ts";
import { openDatabase, type Database } from "../src/db/database.ts";
import { migrate, MigrationError, readMigrations, type MigrationFile } from "../src/db/migrator.ts";
import { startTestApp, TEST_SECRET } from "./helpers/app.ts";
import { createTestDatabase, testBackend, type TestDatabase } from "./helpers/database.ts";
import { runCli } from "./helpers/cli.ts";


const migrations = await readMigrations(MIGRATIONS_DIR);
const names = migrations.map((m) => m.name);
const sha256 = (name: string) => createHash("sha256").update(readFileSync(path.join(MIGRATIONS_DIR, name, "migration.sql"))).digest("hex");
const fake = (name: string, sql: string): MigrationFile => ({ name, sql, checksum: createHash("sha256").update(sql).digest("hex") });

const dropLater: TestDatabase[] = [];
/** PGlite: an initialised, empty data folder, made once and copied for each fresh database
 *  (initdb is most of the cost of a new PGlite; a cleanly closed data folder copies fine) */
let pgliteTemplate: Promise<string> | undefined;

/** a new empty database: on PostgreSQL its own database, on PGlite a folder (opened in turn by
 *  the test, the app and child processes) */
async function freshDatabase(): Promise<TestDatabase> {
  if (testBackend() === "pglite") {
    pgliteTemplate ??= (async () => {
      const template = await createTestDatabase({ persistent: true });
      await withDb(template, async () => {});
      return (template.target as { pgliteDir: string }).pgliteDir;
    })();
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "jobgraph-test-")), "pglite");
    cpSync(await pgliteTemplate, dir, { recursive: true });
    return { target: { pgliteDir: dir }, drop: async () => {} };
  }
  const db = await createTestDatabase();
  dropLater.push(db);
  return db;
}
afterAll(async () => {
  for (const db of dropLater) await db.drop().catch(() => {});
});

/** opens the test database for raw SQL, closed afterwards (PGlite: one opener at a time) */
async function withDb<T>(db: TestDatabase, fn: (d: Database, sql: <R = any>(q: string, p?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
  const d = await openDatabase(db.target);
  try {
    return await fn(d, (q, p) => d.withSession((s) => s.query(q, p)));
  } finally {
    await d.close();
  }
}

const MIGRATION_ROWS = `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
  FROM "_prisma_migrations" ORDER BY started_at, migration_name`;

/** tables, columns and types of the public schema: "the database as it was" */
const SHAPE = `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
  WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations' ORDER BY 1, 2`;
const TYPES = `SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e' ORDER BY 1`;
/** advisory locks held on this database (pg_locks is cluster-wide: other test files' databases share
 *  the server, and their rollup compaction or alert dispatch take advisory locks of their own) */
const ADVISORY_LOCKS = `SELECT count(*)::int AS n FROM pg_locks
  WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

function expectAppliedRows(rows: any[]) {
  expect(rows.map((r) => r.migration_name)).toEqual(names);
  for (const r of rows) {
    expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.checksum).toBe(sha256(r.migration_name));
    expect(r.finished_at).toBeInstanceOf(Date);
    expect(r.started_at).toBeInstanceOf(Date);
    expect(r.finished_at.getTime()).toBeGreaterThanOrEqual(r.started_at.getTime());
    expect(r.logs).toBeNull();
    expect(r.rolled_back_at).toBeNull();
    expect(r.applied_steps_count).toBe(1);
  }
}

type ChildResult = { code: number | null; stdout: string; stderr: string };
/** `tsx src/main.ts <args>` against the test database: DATABASE_URL, or PGlite in JOBGRAPH_DATA_DIR */
function jobgraph(db: TestDatabase, args: string[], extraEnv: Record<string, string> = {}): Promise<ChildResult> {
  const target = db.url ? { DATABASE_URL: db.url } : { JOBGRAPH_DATA_DIR: path.dirname((db.target as { pgliteDir: string }).pgliteDir) };
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "silent", JOBGRAPH_JWT_SECRET: TEST_SECRET, ...target, ...extraEnv };
  return runCli(args, env);
}

describe("start-up", () => {
  test("on an empty database: every migration applied once, recorded as Prisma does", async () => {
    const t = await startTestApp({ db: await freshDatabase() });
    try {
      expect(t.app.migrations).toEqual({ applied: names, modified: [] });
      const sql = <R = any>(q: string, p?: unknown[]) => t.app.db.withSession((s) => s.query<R>(q, p));
      // the table is Prisma's own, column for column
      const columns = await sql(`SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns
        WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`);
      expect(columns.map((c) => [c.column_name, c.data_type, c.character_maximum_length, c.is_nullable])).toEqual([
        ["id", "character varying", 36, "NO"],
        ["checksum", "character varying", 64, "NO"],
        ["finished_at", "timestamp with time zone", null, "YES"],
        ["migration_name", "character varying", 255, "NO"],
        ["logs", "text", null, "YES"],
        ["rolled_back_at", "timestamp with time zone", null, "YES"],
        ["started_at", "timestamp with time zone", null, "NO"],
        ["applied_steps_count", "integer", null, "NO"],
      ]);
      expect(columns.find((c) => c.column_name === "started_at").column_default).toBe("now()");
      expect(columns.find((c) => c.column_name === "applied_steps_count").column_default).toBe("0");
      expectAppliedRows(await sql(MIGRATION_ROWS));
      expect((await sql(ADVISORY_LOCKS))[0].n).toBe(0);
      // and the schema works
      await t.ok(`mutation { createTask(input: { name: "works", kind: HANDLER, config: { handler: "demo.sleep" } }) { id } }`);
    } finally {
      await t.stop();
    }
  }, 60_000);
});

// two independent databases, each mostly waiting on child processes: side by side
describe.concurrent("the CLI", () => {
  test("`jobgraph migrate` on a fresh database applies the migrations, then says it is up to date; a service started on it applies nothing", async () => {
    const db = await freshDatabase();
    const first = await jobgraph(db, ["migrate"]);
    expect(first.code, first.stderr).toBe(0);
    expect(names[0]).toMatch(/_init$/);
    expect(first.stdout.trim()).toBe(`applied: ${names.join(", ")}`);
    const second = await jobgraph(db, ["migrate"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe("database is up to date");

    const t = await startTestApp({ db });
    try {
      expect(t.app.migrations).toEqual({ applied: [], modified: [] });
      const rows = await t.app.db.withSession((s) => s.query(MIGRATION_ROWS));
      expectAppliedRows(rows);
      await t.ok(`mutation { createTask(input: { name: "works", kind: HANDLER, config: { handler: "demo.sleep" } }) { id } }`);
    } finally {
      await t.stop();
    }
  }, 90_000);

  test("a migration that cannot apply: the service refuses to start with one clear line, and the database is as it was", async () => {
    // a table in the way of the first migration, halfway through its statements
    const db = await freshDatabase();
    await withDb(db, (d) => d.withSession((s) => s.exec(`CREATE TABLE "Execution" (id int)`)));

    const start = await jobgraph(db, ["start"], { PORT: "0" });
    expect(start.code, start.stderr).toBe(1);
    expect(start.stderr.trim().split("\n")).toEqual([`jobgraph: migration ${names[0]} failed and was rolled back: relation "Execution" already exists`]);

    await withDb(db, async (_d, sql) => {
      // the enums and tables created before the failing statement were rolled back
      expect(await sql(SHAPE)).toEqual([{ table_name: "Execution", column_name: "id", data_type: "integer" }]);
      expect(await sql(TYPES)).toEqual([]);
      // the attempt is on record, rolled back, as `prisma migrate resolve --rolled-back` leaves it
      const rows = await sql(MIGRATION_ROWS);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ migration_name: names[0], checksum: sha256(names[0]), finished_at: null, applied_steps_count: 0 });
      expect(rows[0].rolled_back_at).toBeInstanceOf(Date);
      expect(rows[0].logs).toContain('relation "Execution" already exists');
    });
  }, 90_000);
});

describe("migrate()", () => {
  test("a failing migration rolls back completely, throws MigrationError, and a corrected file applies later", async () => {
    const db = await freshDatabase();
    await withDb(db, async (d, sql) => {
      expect(await d.withSession((s) => migrate(s, migrations))).toEqual({ applied: names, modified: [] });
      const shape = await sql(SHAPE);
      const types = await sql(TYPES);
      const rows = await sql(MIGRATION_ROWS);

      const name = "29990101000000_broken";
      const broken = fake(name, `CREATE TABLE "FromBrokenMigration" (id int);\nALTER TABLE "Task" ADD COLUMN "brokenColumn" int;\nSELECT * FROM "no_such_table";\n`);
      const error = await d.withSession((s) => migrate(s, [...migrations, broken])).then(
        () => null,
        (e) => e,
      );
      expect(error).toBeInstanceOf(MigrationError);
      expect(error.migration).toBe(name);
      expect(error.message).toBe(`migration ${name} failed and was rolled back: relation "no_such_table" does not exist`);

      // as it was: no table, no column, earlier history untouched
      expect((await sql(`SELECT to_regclass('"FromBrokenMigration"') AS t`))[0].t).toBeNull();
      expect(await sql(SHAPE)).toEqual(shape);
      expect(await sql(TYPES)).toEqual(types);
      const after = await sql(MIGRATION_ROWS);
      expect(after.slice(0, rows.length)).toEqual(rows);
      expect(after.slice(rows.length)).toEqual([
        expect.objectContaining({ migration_name: name, checksum: broken.checksum, finished_at: null, applied_steps_count: 0, rolled_back_at: expect.any(Date), logs: expect.stringContaining("no_such_table") }),
      ]);
      expect((await sql(ADVISORY_LOCKS))[0].n).toBe(0);

      // the corrected file is applied on the next run; then nothing is left to do
      const fixed = fake(name, `CREATE TABLE "FromBrokenMigration" (id int);\nALTER TABLE "Task" ADD COLUMN "brokenColumn" int;\n`);
      expect(await d.withSession((s) => migrate(s, [...migrations, fixed]))).toEqual({ applied: [name], modified: [] });
      expect((await sql(`SELECT to_regclass('"FromBrokenMigration"') AS t`))[0].t).not.toBeNull();
      expect(await d.withSession((s) => migrate(s, [...migrations, fixed]))).toEqual({ applied: [], modified: [] });
      const final = await sql(`SELECT finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" WHERE migration_name = $1 ORDER BY started_at`, [name]);
      expect(final.map((r) => [r.finished_at !== null, r.rolled_back_at !== null, r.applied_steps_count])).toEqual([
        [false, true, 0],
        [true, false, 1],
      ]);

      // an applied file edited since is reported, not re-applied
      const edited = fake(name, `${fixed.sql}-- edited\n`);
      expect(await d.withSession((s) => migrate(s, [...migrations, edited]))).toEqual({ applied: [], modified: [name] });
    });
  });

  test.skipIf(testBackend() !== "postgres")("concurrent migrators on two sessions apply each migration once", async () => {
    const db = await freshDatabase();
    // a slow extra migration that would fail if it ran twice
    const once = fake("29990101000001_once", `SELECT pg_sleep(0.2);\nCREATE TABLE "AppliedOnce" (n int);\nINSERT INTO "AppliedOnce" VALUES (1);\n`);
    const all = [...migrations, once];
    await withDb(db, async (d, sql) => {
      const reports = await Promise.all([d.withSession((s) => migrate(s, all)), d.withSession((s) => migrate(s, all)), d.withSession((s) => migrate(s, all))]);
      // one session applied everything, the others found it done once they got the lock
      expect(reports.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([[...names, once.name], [], []]);
      expect((await sql(`SELECT count(*)::int AS n FROM "AppliedOnce"`))[0].n).toBe(1);
      const rows = await sql(MIGRATION_ROWS);
      expect(rows.map((r) => r.migration_name)).toEqual([...names, once.name]);
      expect(rows.every((r) => r.finished_at !== null && r.rolled_back_at === null)).toBe(true);
      expect((await sql(ADVISORY_LOCKS))[0].n).toBe(0);
    });
  });

  test.skipIf(testBackend() !== "postgres")("two services starting at once on one database migrate it once", async () => {
    const db = await freshDatabase();
    const apps = await Promise.all([startTestApp({ db }), startTestApp({ db })]);
    try {
      expect(apps.map((a) => a.app.migrations.applied).sort((a, b) => b.length - a.length)).toEqual([names, []]);
    } finally {
      for (const a of apps) await a.stop();
    }
  });
});
