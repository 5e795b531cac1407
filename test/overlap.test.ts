// The overlap policy holds across instances: two runners claiming the same QUEUE task at once
// never run two of its runs at the same time (the claim's exclusive runs are unique per task in
// the database), and every run still runs once. The program itself records when it ran (the
// rows' startedAt/finishedAt are taken just before their statements, so they can interleave by
// a few milliseconds across instances without any overlap of the runs themselves).
// Which instance claims a queued run is a race the instance that just ended the previous one
// usually wins (it hears of the end first), so the test hands over by construction: once a few
// runs are done, the instance that ran most of them stops gracefully (its current run ends) and
// the other must run the rest — a rolling restart in the middle of a queue.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { scriptFolder } from "./helpers/scripts.ts";
import { createTestDatabase, testBackend } from "./helpers/database.ts";
import { createTask, startTestApp, trigger, waitFor } from "./helpers/app.ts";

test.runIf(testBackend() === "postgres")("two instances never overlap runs of a QUEUE task, and run each once", async () => {
  const db = await createTestDatabase();
  const config = { pollMs: 100, shutdownGraceMs: 60_000 };
  const a = await startTestApp({ db, config });
  const b = await startTestApp({ db, config });
  const folder = scriptFolder("jobgraph-overlap-");
  const journal = folder.write("journal", "");
  const script = `const fs=require("fs");const f=${JSON.stringify(journal)};fs.appendFileSync(f,"start "+Date.now()+"\\n");setTimeout(()=>fs.appendFileSync(f,"end "+Date.now()+"\\n"),100)`;
  try {
    const task = await createTask(a, { name: "one-at-a-time", kind: "COMMAND", config: { command: process.execPath, args: ["-e", script] }, overlapPolicy: "QUEUE" });
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => trigger(i % 2 ? a : b, task.id)));
    const ids = runs.map((r) => Number(Buffer.from(r.id, "base64").toString().split(":")[1]));
    const prisma = a.app.db.prisma;
    const ranBy = async () => (await prisma.execution.findMany({ where: { id: { in: ids }, status: "SUCCEEDED" }, select: { workerId: true } })).map((r) => r.workerId);
    const early = await waitFor(async () => {
      const workers = await ranBy();
      return workers.length >= 3 ? workers : null;
    }, 60_000, "three runs to succeed");
    const countOf = (app: typeof a) => early.filter((w) => w === app.app.instanceId).length;
    const leaving = countOf(a) >= countOf(b) ? a : b;
    const staying = leaving === a ? b : a;
    await leaving.stop();
    const rows = await waitFor(async () => {
      const all = await staying.app.db.prisma.execution.findMany({ where: { id: { in: ids } }, orderBy: { startedAt: "asc" } });
      return all.every((r) => r.status === "SUCCEEDED") ? all : null;
    }, 60_000, "every run to succeed");
    expect(rows).toHaveLength(ids.length);
    // the journal alternates start, end, start, end…: never two runs at once, each run once
    const lines = readFileSync(journal, "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
    expect(lines).toEqual(ids.flatMap(() => ["start", "end"]));
    // both instances took part
    expect(new Set(rows.map((r) => r.workerId)).size).toBe(2);
  } finally {
    await a.stop();
    await b.stop();
    await db.drop();
    folder.remove();
  }
}, 120_000);
