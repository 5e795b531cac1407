// Statistics bucketed over time: Query.statsSeries (one task or all) and Task.statsSeries.
import { statsSeries, type StatsBucket } from "../../executions/series.ts";
import { builder } from "../builder.ts";
import { decodeId } from "../ids.ts";

const StatsBucketRef = builder.objectRef<StatsBucket>("StatsBucket").implement({
  description: "Executions scheduled in [start, start + bucketSeconds): counts per outcome and durations of the finished ones",
  fields: (t) => ({
    start: t.expose("start", { type: "DateTime" }),
    total: t.exposeInt("total"),
    succeeded: t.exposeInt("succeeded"),
    failed: t.exposeInt("failed"),
    timedOut: t.exposeInt("timedOut"),
    cancelled: t.exposeInt("cancelled"),
    avgDurationMs: t.exposeFloat("avgDurationMs", { nullable: true }),
    p95DurationMs: t.exposeFloat("p95DurationMs", { nullable: true }),
    maxDurationMs: t.exposeInt("maxDurationMs", { nullable: true }),
  }),
});

const DESCRIPTION = "Buckets of bucketSeconds from `from` until `until` (default now), oldest first, empty ones included (at most 1000)";

builder.queryField("statsSeries", (t) =>
  t.field({
    type: [StatsBucketRef],
    authScopes: { viewer: true },
    description: `${DESCRIPTION}; of one task, or of all without taskId`,
    args: {
      taskId: t.arg.id(),
      from: t.arg({ type: "DateTime", required: true }),
      until: t.arg({ type: "DateTime" }),
      bucketSeconds: t.arg.int({ required: true }),
    },
    resolve: (_root, args, ctx) =>
      statsSeries(ctx.prisma, {
        taskId: args.taskId != null ? decodeId(String(args.taskId), "Task", "taskId") : null,
        from: args.from,
        until: args.until ?? new Date(),
        bucketSeconds: args.bucketSeconds,
      }),
  }),
);

builder.prismaObjectField("Task", "statsSeries", (t) =>
  t.field({
    type: [StatsBucketRef],
    description: DESCRIPTION,
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      until: t.arg({ type: "DateTime" }),
      bucketSeconds: t.arg.int({ required: true }),
    },
    resolve: (task, args, ctx) => statsSeries(ctx.prisma, { taskId: task.id, from: args.from, until: args.until ?? new Date(), bucketSeconds: args.bucketSeconds }),
  }),
);
