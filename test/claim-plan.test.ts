// The claim runs many times a second on each connection: PostgreSQL must plan it once per
// connection (a generic plan) rather than afresh each time, which cost more than running it
// when its LIMIT was a parameter. pg_prepared_statements counts both kinds of plan.
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Sql } from "../src/db/database.ts";
import { claim } from "../src/executions/state/claim.ts";
import { useMigratedDatabase } from "./helpers/migrated.ts";

const database = useMigratedDatabase();
let client: pg.Client | null = null;
/** one connection, so that its prepared statements can be looked at */
let sql: Sql;

beforeAll(async () => {
  const { target } = database;
  if (target.url) {
    client = new pg.Client({ connectionString: target.url });
    await client.connect();
    const c = client;
    sql = { query: async (s, values) => (await c.query({ name: s.name, text: s.text, values })).rows };
  } else {
    sql = database.db.sql;
  }
});

afterAll(async () => {
  await client?.end();
});

async function preparedClaims(): Promise<{ name: string; generic: number; custom: number }[]> {
  const q = `SELECT name, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name LIKE 'jobgraph_claim%' ORDER BY name`;
  return client ? (await client.query(q)).rows : await database.db.prisma.$queryRawUnsafe(q);
}

test("the claim is planned once per connection and then reused", async () => {
  const task = await database.db.prisma.task.create({ data: { name: "noop", kind: "HANDLER", config: { handler: "demo.sleep" }, overlapPolicy: "ALLOW" } });
  await database.db.prisma.$executeRawUnsafe(
    `INSERT INTO "Execution" ("taskId", trigger, manual, "scheduledAt", "runAfter", "updatedAt")
     SELECT ${task.id}, 'MANUAL', true, now(), now(), now() FROM generate_series(1, 2000)`,
  );
  await database.db.prisma.$executeRawUnsafe(`ANALYZE "Execution"`);

  const claimed = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const changes = await claim({ sql, now: () => new Date(), leaseMs: 30_000 }, "worker-1", 10);
    for (const c of changes) {
      expect(c.kind).toBe("claimed");
      expect(claimed.has(c.row.id)).toBe(false);
      claimed.add(c.row.id);
    }
  }
  expect(claimed.size).toBe(200);

  const [statement, ...others] = await preparedClaims();
  expect(others).toEqual([]); // ten free slots: always the same statement
  // PostgreSQL tries a custom plan five times, then settles on the generic one for good
  expect(statement).toMatchObject({ custom: 5, generic: 15 });
});
