import type { Task } from "../../generated/prisma/client.ts";
import { decodeId } from "../ids.ts";
import { AUDIT_ACTIONS, audited } from "../audited.ts";
import { builder } from "../builder.ts";
import { taskWhere } from "../../tasks/service.ts";
import { validation } from "../../errors.ts";
import { CalendarDaysEnum, MisfirePolicyEnum, OverlapPolicyEnum, TaskKindEnum } from "./enums.ts";
import { ExecutionConnection, ExecutionFilterInput, executionFilterFromArgs, ExecutionStatsRef } from "./execution.ts";
import { executionWhere, keysetPage } from "../../executions/history.ts";
import { sharedConnection } from "../connections.ts";

const ScheduleRef = builder.objectRef<Pick<Task, "cron" | "intervalSeconds" | "runAt" | "timezone" | "calendar" | "calendarDays" | "offsetDays">>("Schedule").implement({
  description: "When a task fires on its own: one of cron, intervalSeconds or runAt, in `timezone`",
  fields: (t) => ({
    cron: t.exposeString("cron", { nullable: true }),
    intervalSeconds: t.exposeInt("intervalSeconds", { nullable: true }),
    runAt: t.expose("runAt", { type: "DateTime", nullable: true }),
    timezone: t.exposeString("timezone"),
    calendar: t.exposeString("calendar", { nullable: true, description: "The trading calendar whose `days` the schedule runs on" }),
    days: t.expose("calendarDays", { type: CalendarDaysEnum, nullable: true }),
    offsetDays: t.int({ nullable: true, resolve: (s) => (s.calendar ? s.offsetDays : null) }),
  }),
});

export const TaskRef = builder.prismaNode("Task", {
  id: { field: "id" },
  // select mode: only the columns a query asks for are read (a list of names must not load
  // every task's config); a field that reads another column of its parent declares `select`
  select: { id: true },
  // node(id) of a deleted task is null (Relay), not a failed findUniqueOrThrow
  nullable: true,
  authScopes: { viewer: true },
  fields: (t) => ({
    name: t.exposeString("name"),
    displayName: t.exposeString("displayName", { nullable: true }),
    description: t.exposeString("description", { nullable: true }),
    kind: t.expose("kind", { type: TaskKindEnum }),
    config: t.expose("config", { type: "JSON" }),
    schedule: t.field({
      type: ScheduleRef,
      nullable: true,
      select: { cron: true, intervalSeconds: true, runAt: true, timezone: true, calendar: true, calendarDays: true, offsetDays: true },
      resolve: (task) => (task.cron !== null || task.intervalSeconds !== null || task.runAt !== null ? task : null),
    }),
    enabled: t.exposeBoolean("enabled"),
    paused: t.exposeBoolean("paused"),
    maxRetries: t.exposeInt("maxRetries"),
    retryDelaySeconds: t.exposeInt("retryDelaySeconds"),
    retryBackoff: t.exposeFloat("retryBackoff"),
    timeoutSeconds: t.exposeInt("timeoutSeconds", { nullable: true }),
    overlapPolicy: t.expose("overlapPolicy", { type: OverlapPolicyEnum }),
    misfirePolicy: t.expose("misfirePolicy", { type: MisfirePolicyEnum }),
    nextRunAt: t.expose("nextRunAt", { type: "DateTime", nullable: true }),
    lastExecution: t.prismaField({
      type: "Execution",
      nullable: true,
      description: "The newest execution of this task",
      resolve: (query, task, _args, ctx) => ctx.prisma.execution.findFirst({ ...query, where: { taskId: task.id }, orderBy: { id: "desc" } }),
    }),
    executions: t.prismaConnection(
      {
        type: "Execution",
        cursor: "id",
        description: "Newest first (a filter's taskId is this task's)",
        args: { filter: t.arg({ type: ExecutionFilterInput }) },
        totalCount: (task, args, ctx) => ctx.history.count({ ...executionFilterFromArgs(args.filter), taskId: task.id }),
        // keyset paging: a cursor stays valid even when its execution was pruned meanwhile
        resolve: (query, task, args, ctx) =>
          ctx.prisma.execution.findMany(keysetPage(query, executionWhere({ ...executionFilterFromArgs(args.filter), taskId: task.id }))),
      },
      ExecutionConnection,
    ),
    stats: t.field({
      type: ExecutionStatsRef,
      args: { from: t.arg({ type: "DateTime" }), until: t.arg({ type: "DateTime" }) },
      resolve: (task, args, ctx) => ctx.history.stats(task.id, args.from ?? null, args.until ?? null),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const TaskConnection = sharedConnection("TaskConnection", TaskRef);

const ScheduleInput = builder.inputType("ScheduleInput", {
  description: "Exactly one of cron (5 fields, or 6 with leading seconds), intervalSeconds or runAt; timezone is an IANA name (default UTC)",
  fields: (t) => ({
    cron: t.string(),
    intervalSeconds: t.int(),
    runAt: t.field({ type: "DateTime" }),
    timezone: t.string(),
    calendar: t.string({ description: "A trading calendar's name: fire only on its `days`; the fire's date is taken in `timezone`" }),
    days: t.field({ type: CalendarDaysEnum, description: "With a calendar; default TRADING" }),
    offsetDays: t.int({ description: "Run N trading days after (+) or before (-) the matched day (with FIRST_/LAST_TRADING_OF_MONTH or _WEEK)" }),
  }),
});

const taskInputFields = (required: boolean) =>
  ((t: any) => ({
    name: t.string({ required }),
    displayName: t.string(),
    description: t.string(),
    kind: t.field({ type: TaskKindEnum, required }),
    config: t.field({ type: "JSON", required }),
    schedule: t.field({ type: ScheduleInput }),
    enabled: t.boolean(),
    maxRetries: t.int(),
    retryDelaySeconds: t.int(),
    retryBackoff: t.float(),
    timeoutSeconds: t.int(),
    overlapPolicy: t.field({ type: OverlapPolicyEnum }),
    misfirePolicy: t.field({ type: MisfirePolicyEnum }),
    deadlineSeconds: t.int(),
    tags: t.stringList({ description: "each 1-50 of [a-z0-9_.-], at most 20" }),
  })) as never;

const CreateTaskInput = builder.inputType("CreateTaskInput", { fields: taskInputFields(true) });
const UpdateTaskInput = builder.inputType("UpdateTaskInput", {
  description: "Every field optional; `schedule: null` clears the schedule",
  fields: taskInputFields(false),
});

const TaskFilterInput = builder.inputType("TaskFilter", {
  fields: (t) => ({
    kind: t.field({ type: TaskKindEnum }),
    enabled: t.boolean(),
    paused: t.boolean(),
    search: t.string({ description: "matches name, display name or description (case-insensitive)" }),
    tags: t.stringList({ description: "the task carries every one of these tags" }),
  }),
});

builder.queryFields((t) => ({
  task: t.prismaField({
    type: "Task",
    nullable: true,
    authScopes: { viewer: true },
    description: "A task by id or by name",
    args: { id: t.arg.id(), name: t.arg.string() },
    resolve: (query, _root, args, ctx) => {
      if ((args.id == null) === (args.name == null)) throw validation("id", "give exactly one of id or name");
      const where = args.id != null ? { id: decodeId(String(args.id), "Task", "id") } : { name: args.name! };
      return ctx.prisma.task.findUnique({ ...query, where });
    },
  }),
  tasks: t.prismaConnection({
    type: "Task",
    cursor: "id",
    authScopes: { viewer: true },
    args: { filter: t.arg({ type: TaskFilterInput }) },
    totalCount: (_parent, args, ctx) => ctx.prisma.task.count({ where: taskWhere(args.filter) }),
    resolve: (query, _root, args, ctx) => ctx.prisma.task.findMany({ ...query, where: taskWhere(args.filter), orderBy: { id: "asc" } }),
  }, TaskConnection),
}));

const taskArg = (t: any) => t.arg.id({ required: true });

builder.mutationFields((t) => ({
  createTask: t.prismaField({
    type: "Task",
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateTaskInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      audited(ctx, AUDIT_ACTIONS.createTask, {}, { name: (input as { name?: string }).name }, async () => {
        const task = await ctx.tasks.create(input as never);
        return ctx.prisma.task.findUniqueOrThrow({ ...query, where: { id: task.id } });
      }, (task) => ({ taskId: task.id })),
  }),
  updateTask: t.prismaField({
    type: "Task",
    authScopes: { admin: true },
    args: { id: taskArg(t), input: t.arg({ type: UpdateTaskInput, required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = decodeId(String(args.id), "Task", "id");
      return audited(ctx, AUDIT_ACTIONS.updateTask, { taskId: id }, { fields: Object.keys(args.input) }, async () => {
        await ctx.tasks.update(id, args.input as never);
        return ctx.prisma.task.findUniqueOrThrow({ ...query, where: { id } });
      });
    },
  }),
  deleteTask: t.field({
    type: "ID",
    authScopes: { admin: true },
    description: "Deletes the task and its history; refused while a workflow uses it or it has active runs",
    args: { id: taskArg(t) },
    resolve: (_root, args, ctx) => {
      const id = decodeId(String(args.id), "Task", "id");
      return audited(ctx, AUDIT_ACTIONS.deleteTask, { taskId: id }, { id: String(args.id) }, async () => {
        await ctx.tasks.delete(id);
        return String(args.id);
      }, () => ({ taskId: null }));
    },
  }),
  ...switchMutation(t, "enableTask", AUDIT_ACTIONS.enableTask, { enabled: true }),
  ...switchMutation(t, "disableTask", AUDIT_ACTIONS.disableTask, { enabled: false }),
  ...switchMutation(t, "pauseTask", AUDIT_ACTIONS.pauseTask, { paused: true }),
  ...switchMutation(t, "resumeTask", AUDIT_ACTIONS.resumeTask, { paused: false }),
}));

function switchMutation(t: any, field: string, action: string, change: { enabled?: boolean; paused?: boolean }) {
  return {
    [field]: t.prismaField({
      type: "Task",
      authScopes: { operator: true },
      args: { id: taskArg(t) },
      resolve: (query: object, _root: unknown, args: { id: string }, ctx: any) => {
        const id = decodeId(String(args.id), "Task", "id");
        return audited(ctx, action, { taskId: id }, undefined, async () => {
          await ctx.tasks.setSwitch(id, change);
          return ctx.prisma.task.findUniqueOrThrow({ ...query, where: { id } });
        });
      },
    }),
  };
}
