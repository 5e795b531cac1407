// Example tasks for a first `npm start` on an empty embedded database: two COMMAND tasks running
// the bundled example sync scripts (progress, no network), a countdown HANDLER on a cron, and a
// workflow chaining the two syncs. The calendar sync fills the sample trading calendar XSHG
// (weekdays minus sample holidays: sample data, not the exchange's) through its protocol line, and
// runs once at start-up; the stock list and the workflow run on XSHG's trading days.
// JOBGRAPH_DEMO=0 skips them.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CalendarService } from "./calendars/service.ts";
import type { ExecutionService } from "./executions/service.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logging/logger.ts";
import type { TaskService } from "./tasks/service.ts";
import type { TaskInput } from "./tasks/validation.ts";

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "examples");

export const DEMO_CALENDAR = "XSHG";

export const DEMO_TASKS: TaskInput[] = [
  {
    name: "sync_stock_list",
    displayName: "Sync stock list",
    description: "Example COMMAND task: a bundled script that 'downloads' a stock list and reports progress",
    kind: "COMMAND",
    config: { command: process.execPath, args: [path.join(EXAMPLES, "sync_stock_list.mjs")], defaults: { count: 20, delayMs: 150 } },
    schedule: { cron: "0 18 * * *", timezone: "Asia/Shanghai", calendar: "XSHG", days: "TRADING" },
    maxRetries: 2,
    retryDelaySeconds: 30,
    retryBackoff: 2,
    timeoutSeconds: 600,
  },
  {
    name: "sync_trading_calendar",
    displayName: "Sync trading calendar",
    description: "Example COMMAND task: a bundled script that 'downloads' the trading calendar (SAMPLE DATA: weekdays minus sample holidays) and feeds it to the XSHG calendar with its ::jobgraph calendar line",
    kind: "COMMAND",
    config: { command: process.execPath, args: [path.join(EXAMPLES, "sync_trading_calendar.mjs")], defaults: { name: DEMO_CALENDAR, delayMs: 50 } },
    schedule: { cron: "0 8 * * 1", timezone: "Asia/Shanghai" },
    timeoutSeconds: 600,
  },
  {
    name: "countdown",
    displayName: "Countdown",
    description: "Example HANDLER task on a cron: counts down five steps, reporting progress",
    kind: "HANDLER",
    config: { handler: "demo.countdown", defaults: { steps: 5, stepMs: 1000 } },
    schedule: { cron: "*/5 * * * *" },
  },
  {
    name: "nightly_sync",
    displayName: "Nightly sync",
    description: "Example WORKFLOW: the stock list, then the trading calendar",
    kind: "WORKFLOW",
    config: {
      mode: "SERIAL",
      onFailure: "STOP",
      steps: [
        { id: "stock_list", task: "sync_stock_list" },
        { id: "trading_calendar", task: "sync_trading_calendar", dependsOn: ["stock_list"] },
      ],
    },
    schedule: { cron: "0 19 * * *", timezone: "Asia/Shanghai", calendar: "XSHG" },
    deadlineSeconds: 3600,
  },
];

export async function seedDemo(deps: { prisma: PrismaClient; tasks: TaskService; calendars: CalendarService; executions: ExecutionService; logger: Logger }): Promise<void> {
  if ((await deps.prisma.task.count()) > 0) return;
  if (!(await deps.prisma.calendar.findUnique({ where: { name: DEMO_CALENDAR } }))) {
    await deps.calendars.create({ name: DEMO_CALENDAR, timezone: "Asia/Shanghai", description: "Demo calendar with SAMPLE DATA (weekdays minus sample holidays), filled by the sync_trading_calendar task" });
  }
  const created = [];
  for (const input of DEMO_TASKS) created.push(await deps.tasks.create(input));
  // fill the sample calendar now rather than at the first weekly sync
  await deps.executions.trigger(created.find((t) => t.name === "sync_trading_calendar")!.id, null, false, "demo");
  deps.logger.info({ tasks: DEMO_TASKS.map((t) => t.name) }, "empty database: demo tasks created (JOBGRAPH_DEMO=0 skips them)");
}
