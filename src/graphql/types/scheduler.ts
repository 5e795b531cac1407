import type { SchedulerStatus } from "../../scheduler/engine.ts";
import { AUDIT_ACTIONS, audited } from "../audited.ts";
import { builder } from "../builder.ts";

export const SchedulerStatusRef = builder.objectRef<SchedulerStatus>("SchedulerStatus").implement({
  fields: (t) => ({
    running: t.exposeBoolean("running", { description: "this instance's engine is started" }),
    paused: t.exposeBoolean("paused", { description: "schedule fires are paused for every instance" }),
    instances: t.exposeInt("instances", { description: "instances with a fresh heartbeat" }),
    tasks: t.exposeInt("tasks"),
    enabledTasks: t.exposeInt("enabledTasks"),
    pausedTasks: t.exposeInt("pausedTasks"),
    scheduledTasks: t.exposeInt("scheduledTasks", { description: "enabled, not paused, with a next fire" }),
    runningExecutions: t.exposeInt("runningExecutions"),
    pendingExecutions: t.exposeInt("pendingExecutions"),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    version: t.exposeString("version"),
  }),
});

builder.queryField("scheduler", (t) =>
  t.field({ type: SchedulerStatusRef, authScopes: { viewer: true }, resolve: (_root, _args, ctx) => ctx.engine.status() }),
);

builder.mutationFields((t) => ({
  pauseScheduler: t.field({
    type: SchedulerStatusRef,
    authScopes: { admin: true },
    description: "Stop all schedule fires on every instance (manual triggers still run)",
    resolve: (_root, _args, ctx) => audited(ctx, AUDIT_ACTIONS.pauseScheduler, {}, undefined, async () => {
      await ctx.engine.setPaused(true);
      return ctx.engine.status();
    }),
  }),
  resumeScheduler: t.field({
    type: SchedulerStatusRef,
    authScopes: { admin: true },
    description: "Restart schedule fires; fires missed while paused are not caught up",
    resolve: (_root, _args, ctx) => audited(ctx, AUDIT_ACTIONS.resumeScheduler, {}, undefined, async () => {
      await ctx.engine.setPaused(false);
      return ctx.engine.status();
    }),
  }),
}));
