// Task.upcomingFires(first:): the next fire times of a task's schedule.
import { validation } from "../../errors.ts";
import { MAX_UPCOMING_FIRES, upcomingFires } from "../../scheduler/upcoming.ts";
import { builder } from "../builder.ts";

builder.prismaObjectField("Task", "upcomingFires", (t) =>
  t.field({
    type: ["DateTime"],
    description: `The next \`first\` (default 5, at most ${MAX_UPCOMING_FIRES}) fire times, starting at nextRunAt, trading calendar included; empty when the task does not fire (no schedule, disabled, paused, a one-off that ran). A fire on a day the calendar does not cover is listed: it will be recorded SKIPPED`,
    args: { first: t.arg.int() },
    select: { cron: true, intervalSeconds: true, runAt: true, timezone: true, calendar: true, calendarDays: true, offsetDays: true, nextRunAt: true },
    resolve: async (task, args, ctx) => {
      const first = args.first ?? 5;
      if (!Number.isInteger(first) || first < 0 || first > MAX_UPCOMING_FIRES) throw validation("first", `first must be from 0 to ${MAX_UPCOMING_FIRES}`);
      return upcomingFires(task, task.nextRunAt, first, await ctx.calendars.fireFilter(task));
    },
  }),
);
