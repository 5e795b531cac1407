import { Repeater } from "graphql-yoga";
import type { Execution } from "../../generated/prisma/client.ts";
import { isFinal } from "../../executions/service.ts";
import { executionWhere, keysetPage, type ExecutionFilter, type ExecutionStats } from "../../executions/history.ts";
import { notFound } from "../../errors.ts";
import { AUDIT_ACTIONS, audited } from "../audited.ts";
import { builder } from "../builder.ts";
import { sharedConnection } from "../connections.ts";
import { decodeId } from "../ids.ts";
import { checkJson } from "../../validation/json-limits.ts";
import { ExecutionStatusEnum, TriggerKindEnum } from "./enums.ts";

export const ExecutionRef = builder.prismaNode("Execution", {
  id: { field: "id" },
  // select mode, as for Task: params, result and logTail are read only when asked for;
  // taskId always (the audit of execution mutations names the task)
  select: { id: true, taskId: true },
  // node(id) of a deleted execution is null (Relay), not an error
  nullable: true,
  authScopes: { viewer: true },
  fields: (t) => ({
    task: t.relation("task"),
    status: t.expose("status", { type: ExecutionStatusEnum }),
    trigger: t.expose("trigger", { type: TriggerKindEnum }),
    manual: t.exposeBoolean("manual"),
    attempt: t.exposeInt("attempt"),
    retryOf: t.relation("retryOf", { nullable: true }),
    parent: t.relation("parent", { nullable: true }),
    stepId: t.exposeString("stepId", { nullable: true, description: "The workflow step this execution runs" }),
    scheduledAt: t.expose("scheduledAt", { type: "DateTime", description: "Nominal time: the fire time for schedules, the request time otherwise" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    durationMs: t.exposeInt("durationMs", { nullable: true }),
    params: t.expose("params", { type: "JSON", nullable: true }),
    result: t.expose("result", { type: "JSON", nullable: true }),
    error: t.exposeString("error", { nullable: true }),
    progress: t.exposeFloat("progress", { nullable: true }),
    progressMessage: t.exposeString("progressMessage", { nullable: true }),
    currentItem: t.exposeString("currentItem", { nullable: true }),
    processedItems: t.exposeInt("processedItems", { nullable: true }),
    totalItems: t.exposeInt("totalItems", { nullable: true }),
    cancelRequested: t.exposeBoolean("cancelRequested"),
    logTail: t.exposeString("logTail", { nullable: true }),
    triggeredBy: t.exposeString("triggeredBy", { nullable: true }),
    runAfter: t.expose("runAfter", { type: "DateTime", description: "Not started before this (retry delay)" }),
    workerId: t.exposeString("workerId", { nullable: true, description: "The instance that runs (or ran) it" }),
  }),
});

export const ExecutionConnection = sharedConnection("ExecutionConnection", ExecutionRef);

builder.objectField(ExecutionRef, "retriedBy", (t) =>
  t.field({
    type: ExecutionRef,
    nullable: true,
    description: "The attempt that retried this one, if any (the execution whose retryOf this is)",
    resolve: async (e, _args, ctx) => await ctx.prisma.execution.findFirst({ where: { retryOfId: e.id }, orderBy: { id: "asc" } }),
  }),
);

// added after the connection type exists (the type refers to Execution, this field to it)
builder.prismaObjectField("Execution", "children", (t) =>
  t.relatedConnection(
    "children",
    {
      cursor: "id",
      totalCount: true,
      description: "Workflow steps (and their retries), in the order they were started",
      query: () => ({ orderBy: { id: "asc" } }),
    },
    ExecutionConnection,
  ),
);

export const ExecutionFilterInput = builder.inputType("ExecutionFilter", {
  fields: (t) => ({
    taskId: t.id(),
    status: t.field({ type: [ExecutionStatusEnum] }),
    trigger: t.field({ type: [TriggerKindEnum] }),
    manual: t.boolean(),
    from: t.field({ type: "DateTime", description: "scheduledAt >= from" }),
    until: t.field({ type: "DateTime", description: "scheduledAt < until" }),
    parentId: t.id(),
    tags: t.stringList({ description: "the execution's task carries every one of these tags" }),
  }),
});

type FilterArgs = { taskId?: string | number | null; parentId?: string | number | null } & Omit<ExecutionFilter, "taskId" | "parentId">;

export function executionFilterFromArgs(filter: FilterArgs | null | undefined): ExecutionFilter | null {
  if (!filter) return null;
  return {
    ...filter,
    taskId: filter.taskId != null ? decodeId(String(filter.taskId), "Task", "filter.taskId") : null,
    parentId: filter.parentId != null ? decodeId(String(filter.parentId), "Execution", "filter.parentId") : null,
  };
}

export const ExecutionStatsRef = builder.objectRef<ExecutionStats>("ExecutionStats").implement({
  description:
    "Over the executions scheduled (scheduledAt) in [from, until), all of them when unbounded: total, a count per status " +
    "(running/pending: those still active). successRate = succeeded / (succeeded + failed + timedOut), the share of runs " +
    "that ended on their own which succeeded (cancelled and skipped runs are not outcomes and do not count); null when " +
    "there is none. avg/p50/p95DurationMs over finished runs that started (p50/p95 interpolated like PostgreSQL's " +
    "percentile_cont). lastFinishedAt/lastStatus: the run of the range that finished last.",
  fields: (t) => ({
    total: t.exposeInt("total"),
    succeeded: t.exposeInt("succeeded"),
    failed: t.exposeInt("failed"),
    timedOut: t.exposeInt("timedOut"),
    cancelled: t.exposeInt("cancelled"),
    skipped: t.exposeInt("skipped"),
    running: t.exposeInt("running"),
    pending: t.exposeInt("pending"),
    successRate: t.exposeFloat("successRate", { nullable: true }),
    avgDurationMs: t.exposeFloat("avgDurationMs", { nullable: true }),
    p50DurationMs: t.exposeFloat("p50DurationMs", { nullable: true }),
    p95DurationMs: t.exposeFloat("p95DurationMs", { nullable: true }),
    lastFinishedAt: t.expose("lastFinishedAt", { type: "DateTime", nullable: true }),
    lastStatus: t.expose("lastStatus", { type: ExecutionStatusEnum, nullable: true }),
  }),
});

const LogLineRef = builder.objectRef<{ seq: number; at: Date; stream: string; text: string }>("LogLine").implement({
  fields: (t) => ({
    seq: t.exposeInt("seq"),
    at: t.expose("at", { type: "DateTime" }),
    stream: t.exposeString("stream"),
    text: t.exposeString("text"),
  }),
});

builder.queryFields((t) => ({
  execution: t.prismaField({
    type: "Execution",
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.execution.findUnique({ ...query, where: { id: decodeId(String(args.id), "Execution", "id") } }),
  }),
  executions: t.prismaConnection({
    type: "Execution",
    cursor: "id",
    authScopes: { viewer: true },
    description: "Newest first; cursors stay valid while new executions arrive",
    args: { filter: t.arg({ type: ExecutionFilterInput }) },
    totalCount: (_parent, args, ctx) => ctx.history.count(executionFilterFromArgs(args.filter)),
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.execution.findMany(keysetPage(query, executionWhere(executionFilterFromArgs(args.filter)))),
  }, ExecutionConnection),
  stats: t.field({
    type: ExecutionStatsRef,
    authScopes: { viewer: true },
    args: { taskId: t.arg.id(), from: t.arg({ type: "DateTime" }), until: t.arg({ type: "DateTime" }) },
    resolve: (_root, args, ctx) =>
      ctx.history.stats(args.taskId != null ? decodeId(String(args.taskId), "Task", "taskId") : null, args.from ?? null, args.until ?? null),
  }),
  executionLog: t.field({
    type: [LogLineRef],
    authScopes: { viewer: true },
    description: "Captured output lines after `afterSeq`, oldest first (at most `limit`, default 1000)",
    args: { id: t.arg.id({ required: true }), afterSeq: t.arg.int(), limit: t.arg.int() },
    resolve: (_root, args, ctx) => ctx.history.logLines(decodeId(String(args.id), "Execution", "id"), args.afterSeq ?? null, args.limit ?? 1000),
  }),
}));

builder.mutationFields((t) => ({
  triggerTask: t.prismaField({
    type: "Execution",
    authScopes: { operator: true },
    description: "Run a task now. params merge over the config defaults; a paused task runs once; force bypasses the overlap policy",
    args: { id: t.arg.id({ required: true }), params: t.arg({ type: "JSON" }), force: t.arg.boolean() },
    resolve: (_query, _root, args, ctx) => {
      const id = decodeId(String(args.id), "Task", "id");
      return audited(ctx, AUDIT_ACTIONS.triggerTask, { taskId: id }, { force: args.force ?? false }, async (own) => {
        const params = checkJson(args.params ?? null, "params", ctx.limits.json);
        // the inserted row as it is (Pothos loads any relation the selection asks for itself):
        // no second read on the way from a trigger to its start; its audit row is written by
        // the same statement
        return ctx.executions.trigger(id, params, args.force ?? false, ctx.viewer?.sub ?? null, own());
      });
    },
  }),
  cancelExecution: executionMutation(t, AUDIT_ACTIONS.cancelExecution, (ctx, id) => ctx.executions.cancel(id, ctx.viewer?.sub ?? null), "operator"),
  markExecutionFailed: t.prismaField({
    type: "Execution",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: (query, _root, args, ctx) => {
      const id = decodeId(String(args.id), "Execution", "id");
      return audited(ctx, AUDIT_ACTIONS.markExecutionFailed, { executionId: id }, { reason: args.reason }, async () => {
        await ctx.executions.markFailed(id, args.reason ?? null, ctx.viewer?.sub ?? null);
        return ctx.prisma.execution.findUniqueOrThrow({ ...query, where: { id } });
      }, (e) => ({ taskId: e.taskId }));
    },
  }),
  deleteExecution: t.field({
    type: "ID",
    authScopes: { admin: true },
    description: "Refused while PENDING or RUNNING",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      const id = decodeId(String(args.id), "Execution", "id");
      return audited(ctx, AUDIT_ACTIONS.deleteExecution, { executionId: id }, { id: String(args.id) }, async () => {
        await ctx.executions.delete(id);
        return String(args.id);
      }, () => ({ executionId: null }));
    },
  }),
}));

function executionMutation(t: any, action: string, run: (ctx: any, id: number) => Promise<Execution>, role: "operator" | "admin") {
  return t.prismaField({
    type: "Execution",
    authScopes: { [role]: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query: object, _root: unknown, args: { id: string }, ctx: any) => {
      const id = decodeId(String(args.id), "Execution", "id");
      return audited(ctx, action, { executionId: id }, undefined, async () => {
        await run(ctx, id);
        return ctx.prisma.execution.findUniqueOrThrow({ ...query, where: { id } });
      }, (e: Execution) => ({ taskId: e.taskId }));
    },
  });
}

// ── live view ────────────────────────────────────────────────────────────────────────────────
// Subscribe first, then read the current row, then stream: a client that subscribes right after
// triggering cannot miss the start (or the end) of a run.

builder.subscriptionFields((t) => ({
  executionUpdated: t.prismaField({
    type: "Execution",
    authScopes: { viewer: true },
    description: "The current state first, then every change; completes after a final state",
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const id = decodeId(String(args.id), "Execution", "id");
      const live = ctx.bus.subscribe("execution", String(id));
      return closingWith(live, (async function* () {
        const current = await ctx.prisma.execution.findUnique({ where: { id } });
        if (!current) throw notFound(`execution ${args.id}`);
        yield current;
        if (isFinal(current.status)) return;
        let last = current.updatedAt.getTime();
        for await (const row of live) {
          if (row.updatedAt.getTime() < last) continue; // older than what was already sent
          last = row.updatedAt.getTime();
          yield row;
          if (isFinal(row.status)) return;
        }
      })());
    },
    // the event's own row, complete: as a prismaField, Pothos knows its columns are loaded and
    // answers from it instead of reading the (by now newer) row again
    resolve: (_query, row) => row,
  }),
  executionEvents: t.prismaField({
    type: "Execution",
    authScopes: { viewer: true },
    description: "Every status change of this task's executions (or of all tasks' without taskId)",
    args: { taskId: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      const taskId = args.taskId != null ? decodeId(String(args.taskId), "Task", "taskId") : null;
      const live = ctx.bus.subscribe("executionStatus", taskId === null ? "*" : String(taskId));
      return closingWith(live, (async function* () {
        if (taskId !== null && !(await ctx.prisma.task.findUnique({ where: { id: taskId }, select: { id: true } }))) {
          throw notFound(`task ${args.taskId}`);
        }
        yield* live;
      })());
    },
    // the event's own row, complete: as a prismaField, Pothos knows its columns are loaded and
    // answers from it instead of reading the (by now newer) row again
    resolve: (_query, row) => row,
  }),
  executionLogLines: t.field({
    type: LogLineRef,
    authScopes: { viewer: true },
    description: "Lines after afterSeq from the log, then live lines as they are written; completes after the execution's final state and its last line",
    args: { id: t.arg.id({ required: true }), afterSeq: t.arg.int() },
    subscribe: (_root, args, ctx) => {
      const id = decodeId(String(args.id), "Execution", "id");
      // lines, and the execution's changes to know when it is over; both before the first read
      const lines = ctx.bus.subscribe("logLine", String(id));
      const states = ctx.bus.subscribe("execution", String(id));
      const live = { close: () => (lines.close(), states.close()) };
      let seq = args.afterSeq ?? 0;
      /** what the log holds after `seq`, oldest first */
      const backlog = async function* () {
        for (;;) {
          const batch = await ctx.history.logLines(id, seq, 1000);
          for (const line of batch) {
            yield line;
            seq = line.seq;
          }
          if (batch.length < 1000) return;
        }
      };
      return closingWith(live, (async function* () {
        const current = await ctx.prisma.execution.findUnique({ where: { id }, select: { status: true } });
        if (!current) throw notFound(`execution ${args.id}`);
        yield* backlog();
        if (isFinal(current.status)) return;
        for await (const event of Repeater.merge([lines, states])) {
          if (!("seq" in event)) {
            if (isFinal(event.status)) break;
          } else if (event.seq > seq) {
            seq = event.seq;
            yield event;
          }
        }
        // the runner writes every line before the final state: the log now holds the last one
        yield* backlog();
      })());
    },
    resolve: (line) => line,
  }),
}));

/**
 * Ends `live` when the stream ends, and also when the client leaves: graphql-ws calls return()
 * on the generator, but an async generator holds return() until its pending `await` settles —
 * on a quiet topic, never. Closing the bus subscription first settles that await at once.
 */
export function closingWith<T>(live: { close(): void }, body: AsyncIterable<T>): AsyncGenerator<T> {
  const stream = (async function* () {
    try {
      yield* body;
    } finally {
      live.close();
    }
  })();
  const finish = stream.return.bind(stream);
  stream.return = (value) => {
    live.close();
    return finish(value);
  };
  return stream;
}
