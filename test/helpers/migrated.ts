// A fresh database for one test file, migrated, opened without the rest of the app (for tests of
// one piece of the engine against the real database): opened before the file's tests, closed
// and dropped after them.
import { afterAll, beforeAll } from "vitest";
import { migrateDatabase } from "../../src/app.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export function useMigratedDatabase(): { db: Database; target: TestDatabase } {
  const it = {} as { db: Database; target: TestDatabase };
  beforeAll(async () => {
    it.target = await createTestDatabase();
    it.db = await openDatabase(it.target.target);
    await migrateDatabase(it.db);
  });
  afterAll(async () => {
    await it.db?.close();
    await it.target?.drop();
  });
  return it;
}
