// The runner's task cache: a claimed run needs no read of its task once seen; misses asked for in
// the same turn (a claim's runs of tasks not seen yet) are read with one query; an invalidated
// task is read again; a missing one is not remembered; a claim warms its runs' tasks in one read.
import { expect, test } from "vitest";
import type { PrismaClient } from "../src/generated/prisma/client.ts";
import { TaskCache } from "../src/tasks/cache.ts";
import { useMigratedDatabase } from "./helpers/migrated.ts";

const database = useMigratedDatabase();

/** the cache over the real database, counting the reads it makes */
function countingCache() {
  const reads: number[][] = [];
  const prisma = {
    task: {
      findMany: (args: { where: { id: { in: number[] } } }) => {
        reads.push([...args.where.id.in].sort((a, b) => a - b));
        return database.db.prisma.task.findMany(args);
      },
    },
  } as unknown as PrismaClient;
  return { cache: new TaskCache({ prisma }), reads };
}

test("tasks asked for together are read with one query, then served from memory", async () => {
  const tasks = await Promise.all(
    Array.from({ length: 5 }, (_, i) => database.db.prisma.task.create({ data: { name: `cached-${i}`, kind: "HANDLER", config: { handler: "demo.sleep" } } })),
  );
  const { cache, reads } = countingCache();
  const got = await Promise.all(tasks.map((t) => cache.get(t.id)));
  expect(got.map((t) => t?.name)).toEqual(tasks.map((t) => t.name));
  expect(reads).toEqual([tasks.map((t) => t.id).sort((a, b) => a - b)]);

  expect((await cache.get(tasks[2]!.id))?.name).toBe("cached-2");
  expect(reads).toHaveLength(1); // from memory

  await database.db.prisma.task.update({ where: { id: tasks[2]!.id }, data: { name: "renamed" } });
  cache.invalidate(tasks[2]!.id);
  expect((await cache.get(tasks[2]!.id))?.name).toBe("renamed");
  expect(reads).toEqual([expect.any(Array), [tasks[2]!.id]]);
});

test("a task that does not exist is null, and is looked for again next time", async () => {
  const { cache, reads } = countingCache();
  expect(await cache.get(987_654)).toBeNull();
  expect(await cache.get(987_654)).toBeNull();
  expect(reads).toEqual([[987_654], [987_654]]);
});

test("warming reads the tasks not held yet in one query; their runs, asking one by one later, read nothing", async () => {
  const tasks = await Promise.all(
    Array.from({ length: 4 }, (_, i) => database.db.prisma.task.create({ data: { name: `warmed-${i}`, kind: "HANDLER", config: { handler: "demo.sleep" } } })),
  );
  const { cache, reads } = countingCache();
  await cache.get(tasks[0]!.id); // held already: not read again
  cache.warm([...tasks.map((t) => t.id), 987_655]);
  for (const t of tasks) expect((await cache.get(t.id))?.name).toBe(t.name); // each in its own turn
  expect(reads).toEqual([[tasks[0]!.id], [...tasks.slice(1).map((t) => t.id), 987_655].sort((a, b) => a - b)]);
});
