// Example tasks for a first `npm start` on an empty embedded database: two COMMAND tasks running
// the bundled example sync scripts (progress, no network), a countdown HANDLER on a cron, and a
// workflow chaining the two syncs. JOBGRAPH_DEMO=0 skips them.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logging/logger.ts";
import type { TaskService } from "./tasks/service.ts";
import type { TaskInput } from "./tasks/validation.ts";

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "examples");

export const DEMO_TASKS: TaskInput[] = [
  {
    name: "sync_stock_list",
    displayName: "Sync stock list",
    description: "Example COMMAND task: a bundled script that 'downloads' a stock list and reports progress",
    kind: "COMMAND",
    config: { command: process.execPath, args: [path.join(EXAMPLES, "sync_stock_list.mjs")], defaults: { count: 20, delayMs: 150 } },
    schedule: { cron: "0 18 * * 1-5", timezone: "Asia/Shanghai" },
    maxRetries: 2,
    retryDelaySeconds: 30,
    retryBackoff: 2,
    timeoutSeconds: 600,
  },
  {
    name: "sync_trading_calendar",
    displayName: "Sync trading calendar",
    description: "Example COMMAND task: a bundled script that 'downloads' the trading calendar",
    kind: "COMMAND",
    config: { command: process.execPath, args: [path.join(EXAMPLES, "sync_trading_calendar.mjs")], defaults: { count: 10, delayMs: 150 } },
    schedule: { cron: "30 18 * * 1-5", timezone: "Asia/Shanghai" },
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
    schedule: { cron: "0 19 * * 1-5", timezone: "Asia/Shanghai" },
  },
];

export async function seedDemo(deps: { prisma: PrismaClient; tasks: TaskService; logger: Logger }): Promise<void> {
  if ((await deps.prisma.task.count()) > 0) return;
  for (const input of DEMO_TASKS) await deps.tasks.create(input);
  deps.logger.info({ tasks: DEMO_TASKS.map((t) => t.name) }, "empty database: demo tasks created (JOBGRAPH_DEMO=0 skips them)");
}
