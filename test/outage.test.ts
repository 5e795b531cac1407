// A short database outage (shorter than the lease) loses no run and duplicates none: the
// service stays up, /ready says 503 while the database is gone and 200 after, heart-beats and
// final states are retried until the database is back, every run ends once with its true
// outcome, nothing that succeeded is retried, no execution is left RUNNING, and fires resume.
// The test stops and starts a PostgreSQL cluster of its own (never the shared one).
import { afterAll, beforeAll, expect, test } from "vitest";
import { canStartCluster, startOwnCluster, type OwnCluster } from "./helpers/cluster.ts";
import { testBackend } from "./helpers/database.ts";
import { createTask, startTestApp, trigger, waitFor, type TestApp } from "./helpers/app.ts";

const enabled = testBackend() === "postgres" && canStartCluster();
let cluster: OwnCluster;
let t: TestApp;

beforeAll(async () => {
  if (!enabled) return;
  cluster = await startOwnCluster();
  t = await startTestApp({ db: { target: { url: cluster.url, poolSize: 20 }, url: cluster.url, drop: async () => {} }, config: { leaseMs: 12_000, pollMs: 250 } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await cluster?.destroy();
}, 120_000);

const ready = async () => (await fetch(new URL("/ready", t.url))).status;
const decode = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);

test.runIf(enabled)("runs that end during a short outage are recorded once, with their true outcome, after it", async () => {
  const { prisma } = t.app.db;
  const work = await createTask(t, { name: "outlasts", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 3000 } }, overlapPolicy: "ALLOW", maxRetries: 2, retryDelaySeconds: 1 });
  // times out (its true outcome) while the database is gone
  const slow = await createTask(t, { name: "times-out-meanwhile", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } }, timeoutSeconds: 2 });
  const ticking = await createTask(t, { name: "ticking", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } }, schedule: { intervalSeconds: 1 } });
  const runs = await Promise.all(Array.from({ length: 5 }, () => trigger(t, work.id)));
  const ids = runs.map((r) => decode(r.id));
  const timedOut = decode((await trigger(t, slow.id)).id);
  await waitFor(async () => (await prisma.execution.count({ where: { id: { in: [...ids, timedOut] }, status: "RUNNING" } })) === ids.length + 1, 20_000, "the runs to start");
  expect(await ready()).toBe(200);

  await cluster.stop();
  const down = Date.now();
  await waitFor(async () => (await ready()) === 503, 10_000, "/ready to say 503");
  // the sleeps (3 s) and the timeout (2 s) end while the database is gone; their ends wait for it
  await waitFor(async () => Date.now() - down > 4000, 10_000, "the outage to last 4 s");
  expect(await ready()).toBe(503);
  await cluster.start();
  const back = new Date();
  await waitFor(async () => (await ready()) === 200, 30_000, "/ready to say 200 again");

  const all = await waitFor(async () => {
    const rows = await prisma.execution.findMany({ where: { taskId: { in: [decode(work.id), decode(slow.id)] } } });
    return rows.every((r) => r.status !== "RUNNING" && r.status !== "PENDING") ? rows : null;
  }, 30_000, "every run to end");
  const mine = all.filter((r) => ids.includes(r.id));
  expect(mine.map((r) => r.status)).toEqual(ids.map(() => "SUCCEEDED"));
  expect(mine.every((r) => r.attempt === 1 && r.error === null)).toBe(true);
  // nothing was swept or retried: one row per run
  expect(all.filter((r) => r.trigger === "RETRY")).toEqual([]);
  expect(await prisma.auditEvent.count({ where: { action: "execution.sweep" } })).toBe(0);
  expect(all.find((r) => r.id === timedOut)).toMatchObject({ status: "TIMED_OUT", error: "timed out after 2 s", attempt: 1 });
  expect(all).toHaveLength(ids.length + 1);
  // fires resume
  await waitFor(
    async () => prisma.execution.findFirst({ where: { taskId: decode(ticking.id), trigger: "SCHEDULE", scheduledAt: { gt: back }, status: "SUCCEEDED" } }),
    20_000,
    "a fire after the outage to run",
  );
}, 180_000);
