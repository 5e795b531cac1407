// Never lost: the cause of an alert commits with its outbox row, so a service SIGKILLed right
// after it delivers the alert once after the restart. Real service process, real receiver.
import { afterEach, expect, test } from "vitest";
import { startTestApp, waitFor } from "./helpers/app.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { startReceiver } from "./helpers/receiver.ts";
import { killServices, startService } from "./helpers/service.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  killServices();
  for (const c of cleanups.splice(0).reverse()) await c();
});

test("a service SIGKILLed right after an alert's cause delivers the alert once after restart", async () => {
  const db = await createTestDatabase({ persistent: true });
  cleanups.push(() => db.drop());
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  receiver.respond = () => 503; // nothing gets through before the crash
  const service = await startService(db, { JOBGRAPH_ALERT_RETRY_SECONDS: "1" });
  await service.gql(`mutation($u: String!) { createAlertChannel(input: { name: "oncall", kind: WEBHOOK, url: $u, events: [CALENDAR_GAP], tasks: ["crash-gap"] }) { id } }`, { u: receiver.url });
  await service.gql(`mutation { createCalendar(input: { name: "EMPTY" }) { id } }`);
  // every fire lands on a day the calendar does not cover: SKIPPED with a CALENDAR_GAP in the same transaction
  const task = (await service.gql(`mutation { createTask(input: { name: "crash-gap", kind: HANDLER, config: { handler: "demo.sleep" }, schedule: { cron: "* * * * * *", calendar: "EMPTY" } }) { id } }`)).createTask;
  await waitFor(async () => {
    const data = await service.gql(`query($id: ID!) { executions(first: 1, filter: { taskId: $id }) { edges { node { status } } } }`, { id: task.id });
    return data.executions.edges[0]?.node.status === "SKIPPED";
  }, 20_000, "the first skipped fire");
  service.proc.kill("SIGKILL");
  await service.exited;

  receiver.respond = () => 200;
  const t = await startTestApp({ db, config: { alertRetryBaseMs: 200 } });
  cleanups.push(() => t.stop());
  const fireAlerts = () => receiver.accepted().filter((r) => r.json.task?.name === "crash-gap" && r.json.details?.date);
  await waitFor(async () => fireAlerts().length >= 1, 30_000, "the alert after the restart");
  await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: task.id });
  // a later message on the same path shows the sender went round again: still one alert for the cause
  const test = (await t.ok(`{ alertChannels { id } }`)).alertChannels[0].id;
  await t.ok(`mutation($id: ID!) { testAlertChannel(id: $id) { status } }`, { id: test });
  expect(fireAlerts()).toHaveLength(1);
  const rows = await t.app.db.prisma.alertDelivery.findMany({ where: { event: "CALENDAR_GAP", taskId: { not: null } } });
  expect(rows.map((r) => r.status)).toEqual(["DELIVERED"]);
  expect(await t.app.db.prisma.outbox.count({ where: { processedAt: null } })).toBe(0);
}, 120_000);
