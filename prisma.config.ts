import { defineConfig } from "prisma/config";

// Only the schema and migrations folder: migrations are applied by our own migrator (src/db/migrator.ts)
// and created through the WASM schema engine (scripts/create-migration.ts). No datasource url here:
// env("DATABASE_URL") throws when unset, which would break `prisma generate` in embedded mode.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
