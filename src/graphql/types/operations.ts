// Operating many runs at once (issue 12): rerun, backfill, bulk cancel and retry, and tags.
// Thin resolvers over executions/operations.ts; every mutation is audited once (with its filter).
import type { BackfillResult } from "../../executions/operations.ts";
import { AUDIT_ACTIONS, audited } from "../audited.ts";
import { builder } from "../builder.ts";
import { decodeId } from "../ids.ts";
import { ExecutionFilterInput, ExecutionRef, executionFilterFromArgs } from "./execution.ts";

builder.prismaObjectField("Task", "tags", (t) => t.exposeStringList("tags", { description: "Lower-case labels ([a-z0-9_.-], at most 20) that filters and bulk actions select by" }));

builder.prismaObjectField("Execution", "rerunOf", (t) =>
  t.relation("rerunOf", {
    nullable: true,
    description: "The run this one repeats (rerunExecution); on a reused workflow step, the earlier attempt whose result it shows",
  }),
);

const BackfillResultRef = builder.objectRef<BackfillResult>("BackfillResult").implement({
  description: "What backfillTask did: one run per nominal fire of the range that had none, oldest first",
  fields: (t) => ({
    created: t.exposeInt("created", { description: "runs created" }),
    skipped: t.exposeInt("skipped", { description: "fires of the range that already had a run (scheduled, caught up or backfilled)" }),
    executions: t.field({ type: [ExecutionRef], description: "the runs created, oldest first", resolve: (r) => r.executions }),
  }),
});

const actor = (ctx: { viewer: { sub: string } | null }) => ctx.viewer?.sub ?? null;

/** a bulk action's audit event says how many runs it changed */
const counted = (count: number) => ({ count });

builder.mutationFields((t) => ({
  rerunExecution: t.prismaField({
    type: "Execution",
    authScopes: { operator: true },
    description:
      "A new run (trigger RERUN, rerunOf this one) of a finished run's task, with its params (`params` merged over them) and its " +
      "nominal time. fromFailure (workflow runs): the SUCCEEDED steps are taken over (a SUCCEEDED child each, rerunOf the old " +
      "attempt, result copied) and only the other steps, and what depends on them, run again",
    args: { id: t.arg.id({ required: true }), params: t.arg({ type: "JSON" }), fromFailure: t.arg.boolean() },
    resolve: (query, _root, args, ctx) => {
      const id = decodeId(String(args.id), "Execution", "id");
      const fromFailure = args.fromFailure ?? false;
      return audited(ctx, AUDIT_ACTIONS.rerunExecution, { executionId: id }, { fromFailure }, async () => {
        const row = await ctx.operations.rerun(id, args.params ?? null, fromFailure, actor(ctx));
        return ctx.prisma.execution.findUniqueOrThrow({ ...query, where: { id: row.id } });
      }, (e) => ({ taskId: e.taskId, executionId: e.id }));
    },
  }),
  backfillTask: t.field({
    type: BackfillResultRef,
    authScopes: { operator: true },
    description:
      "One run (trigger BACKFILL) per nominal fire of the task's schedule in [from, until) that has no run yet, oldest first, " +
      "queued under the task's overlap policy; more than 1000 fires is VALIDATION",
    args: {
      id: t.arg.id({ required: true }),
      from: t.arg({ type: "DateTime", required: true }),
      until: t.arg({ type: "DateTime", required: true }),
      params: t.arg({ type: "JSON" }),
    },
    resolve: (_root, args, ctx) => {
      const id = decodeId(String(args.id), "Task", "id");
      const details = { from: args.from.toISOString(), until: args.until.toISOString() };
      return audited(ctx, AUDIT_ACTIONS.backfillTask, { taskId: id }, details, () => ctx.operations.backfill(id, args.from, args.until, args.params ?? null, actor(ctx)), undefined, (r) => ({
        created: r.created,
        skipped: r.skipped,
      }));
    },
  }),
  cancelExecutions: t.int({
    authScopes: { operator: true },
    description: "Cancels every PENDING or RUNNING execution matching the filter, in one transaction (more than 1000 is VALIDATION); returns how many",
    args: { filter: t.arg({ type: ExecutionFilterInput, required: true }) },
    resolve: (_root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.cancelExecutions, {}, { filter: args.filter }, () => ctx.operations.cancelMatching(executionFilterFromArgs(args.filter)!, actor(ctx)), undefined, counted),
  }),
  retryExecutions: t.int({
    authScopes: { operator: true },
    description:
      "Retries every matching FAILED or TIMED_OUT execution (CANCELLED too when filter.status names it) that is not a workflow step " +
      "and was not retried yet, in one transaction (more than 1000 is VALIDATION); returns how many retries were created",
    args: { filter: t.arg({ type: ExecutionFilterInput, required: true }) },
    resolve: (_root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.retryExecutions, {}, { filter: args.filter }, () => ctx.operations.retryMatching(executionFilterFromArgs(args.filter)!, actor(ctx)), undefined, counted),
  }),
}));
