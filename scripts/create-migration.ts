// npm run db:migrate -- <name>
// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that takes a database from
// the existing migrations to prisma/schema.prisma. Uses Prisma's schema engine compiled to WASM
// (@prisma/schema-engine-wasm), so it works without the native engine; the "shadow database" the
// diff needs is an in-memory PGlite. Review the file, then `npm run db:deploy` applies it.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { bindMigrationAwareSqlAdapterFactory, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { MigrationList } from "@prisma/schema-engine-wasm";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const migrationsDir = path.join(root, "prisma", "migrations");
const LOCK = "migration_lock.toml";
/** indexes Prisma's schema language cannot express; they live only in migration SQL */
const HAND_WRITTEN_INDEXES = ["Execution_fire_key", "Execution_step_key", "Execution_pending_idx", "Execution_running_idx", "Execution_exclusive_running_key"];

async function loadEngineWasm() {
  // the package's main entry imports .wasm as an ES module, which Node 20 cannot: instantiate by hand
  const require = createRequire(import.meta.url);
  const bgPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = await readFile(bgPath.replace(/\.js$/, ".wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bg as never });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
}

/** pglite-prisma-adapter 0.7 does not await exec() in executeScript, so a failing script would
 *  look applied; and its in-memory shadow database is never closed. */
function fixPgliteAdapter(adapter: SqlDriverAdapter, shadow: boolean): SqlDriverAdapter {
  const a = adapter as any;
  a.executeScript = async (script: string) => {
    try {
      await a.client.exec(script);
    } catch (e) {
      a.onError(e);
    }
  };
  if (shadow) a.dispose = () => a.client.close();
  return adapter;
}

async function listMigrations(): Promise<MigrationList> {
  const names = existsSync(migrationsDir)
    ? (await readdir(migrationsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : [];
  return {
    baseDir: migrationsDir,
    lockfile: { path: LOCK, content: await readFile(path.join(migrationsDir, LOCK), "utf8").catch(() => null) },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: { tag: "ok" as const, value: await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8") },
        },
      })),
    ),
  };
}

const name = (process.argv[2] ?? "").replace(/[^A-Za-z0-9_]/g, "_");
if (!name) {
  console.error("usage: npm run db:migrate -- <name>");
  process.exit(2);
}
await loadEngineWasm();
const main = new PGlite();
const inner = new PrismaPGlite(main);
const factory: SqlMigrationAwareDriverAdapterFactory = {
  provider: inner.provider,
  adapterName: inner.adapterName,
  connect: async () => fixPgliteAdapter(await inner.connect(), false),
  connectToShadowDb: async () => fixPgliteAdapter(await inner.connectToShadowDb(), true),
};
const schema = await readFile(schemaPath, "utf8");
const engine = await bg.SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => {}, bindMigrationAwareSqlAdapterFactory(factory));
try {
  const migrationsList = await listMigrations();
  const { stdout } = await engine.diff({
    from: { tag: "migrations", ...migrationsList },
    to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
    script: true,
    shadowDatabaseUrl: null,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  } as never);
  // keep hand-written indexes: the engine does not know them and would drop them
  const sql = (stdout ?? "")
    .split(/\n(?=-- )/)
    .filter((block) => !HAND_WRITTEN_INDEXES.some((ix) => block.includes(`DROP INDEX "${ix}"`)))
    .join("\n");
  if (!/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
    console.log("schema unchanged: no migration written");
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const dir = path.join(migrationsDir, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "migration.sql"), sql.trimEnd() + "\n");
    if (migrationsList.lockfile.content === null) {
      await writeFile(
        path.join(migrationsDir, LOCK),
        '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
      );
    }
    console.log(`wrote ${path.relative(root, dir)}/migration.sql`);
  }
} finally {
  engine.free();
  await main.close();
}
