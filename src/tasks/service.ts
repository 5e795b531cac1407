// Tasks: validate → write in a transaction → tell the scheduler. Resolvers call this; it knows
// nothing of GraphQL.
import type { Clock } from "../clock.ts";
import { conflict, notFound, validation } from "../errors.ts";
import { ACTIVE_STATUSES } from "../executions/service.ts";
import { Prisma, type PrismaClient, type Task } from "../generated/prisma/client.ts";
import { nextFire, type FireFilter } from "../scheduler/schedule.ts";
import type { WorkflowConfig } from "./config-schemas.ts";
import { checkTags, resolveTaskFields, type TaskFields, type TaskInput } from "./validation.ts";
import { DEFAULT_JSON_LIMITS, type JsonLimits } from "../validation/json-limits.ts";

export interface TaskFilter {
  kind?: Task["kind"] | null;
  enabled?: boolean | null;
  paused?: boolean | null;
  search?: string | null;
  /** the task carries every one of them */
  tags?: string[] | null;
}

type Tx = Prisma.TransactionClient;

export interface TaskServiceDeps {
  prisma: PrismaClient;
  clock: Clock;
  handlerNames: () => string[];
  /** size and depth bounds of a task's config (default: DEFAULT_JSON_LIMITS) */
  jsonLimits?: JsonLimits;
  /** called after a change is committed, so the timers follow at once */
  onChanged: (taskId: number) => void;
  /** the trading-calendar day filter of a schedule (CalendarService.fireFilter) */
  fireFilter: (task: CalendarScheduled, db: Tx) => Promise<FireFilter | undefined>;
}

type CalendarScheduled = Pick<Task, "calendar" | "calendarDays" | "offsetDays" | "timezone">;

export function taskWhere(filter: TaskFilter | null | undefined): Prisma.TaskWhereInput {
  const where: Prisma.TaskWhereInput = {};
  if (!filter) return where;
  if (filter.kind) where.kind = filter.kind;
  if (typeof filter.enabled === "boolean") where.enabled = filter.enabled;
  if (typeof filter.paused === "boolean") where.paused = filter.paused;
  if (filter.tags?.length) where.tags = { hasEvery: checkTags(filter.tags, "filter.tags") };
  if (filter.search) {
    const contains = escapeLike(filter.search);
    where.OR = ["name", "displayName", "description"].map((f) => ({ [f]: { contains, mode: "insensitive" } }));
  }
  return where;
}

/** Prisma's `contains` is LIKE '%…%' with the text as given: a search for "%" or "_" must find
 *  those characters, not match everything (backslash is PostgreSQL's default LIKE escape). */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The next fire to persist: none while disabled or paused or without a schedule. */
export function plannedNextRun(task: Pick<Task, "cron" | "intervalSeconds" | "runAt" | "timezone" | "enabled" | "paused">, now: Date, filter?: FireFilter): Date | null {
  if (!task.enabled || task.paused) return null;
  return nextFire(task, now, { filter });
}

const scheduleChanged = (a: TaskFields, b: Task) =>
  a.cron !== b.cron || a.intervalSeconds !== b.intervalSeconds || a.timezone !== b.timezone || a.runAt?.getTime() !== b.runAt?.getTime() ||
  a.calendar !== b.calendar || a.calendarDays !== b.calendarDays || a.offsetDays !== b.offsetDays;

export class TaskService {
  constructor(private readonly deps: TaskServiceDeps) {}

  private get jsonLimits(): JsonLimits {
    return this.deps.jsonLimits ?? DEFAULT_JSON_LIMITS;
  }

  async get(id: number): Promise<Task> {
    const task = await this.deps.prisma.task.findUnique({ where: { id } });
    if (!task) throw notFound(`task ${id}`);
    return task;
  }

  async create(input: TaskInput): Promise<Task> {
    const now = this.deps.clock.now();
    const fields = resolveTaskFields(input, null, now, this.deps.handlerNames(), this.jsonLimits);
    const task = await this.write(async (tx) => {
      await this.checkWorkflowReferences(tx, fields);
      await checkCalendar(tx, fields);
      return tx.task.create({
        data: { ...toData(fields), paused: false, nextRunAt: plannedNextRun({ ...fields, paused: false }, now, await this.deps.fireFilter(fields, tx)) },
      });
    });
    this.deps.onChanged(task.id);
    return task;
  }

  async update(id: number, input: TaskInput): Promise<Task> {
    const now = this.deps.clock.now();
    const task = await this.write(async (tx) => {
      const current = await this.lock(tx, id);
      const fields = resolveTaskFields(input, current as TaskFields, now, this.deps.handlerNames(), this.jsonLimits);
      await this.checkWorkflowReferences(tx, fields, current);
      await checkCalendar(tx, fields);
      if (fields.name !== current.name) await this.renameReferences(tx, current.name, fields.name);
      const replan = scheduleChanged(fields, current) || fields.enabled !== current.enabled;
      return tx.task.update({
        where: { id },
        data: {
          ...toData(fields),
          nextRunAt: replan ? plannedNextRun({ ...fields, paused: current.paused }, now, await this.deps.fireFilter(fields, tx)) : current.nextRunAt,
        },
      });
    });
    this.deps.onChanged(task.id);
    return task;
  }

  async delete(id: number): Promise<void> {
    await this.write(async (tx) => {
      const task = await this.lock(tx, id);
      const users = (await this.workflowsUsing(tx, task.name)).map((w) => w.name);
      if (users.length) throw conflict(`task "${task.name}" is used by workflow(s): ${users.join(", ")}`);
      const active = await tx.execution.count({ where: { taskId: id, status: { in: [...ACTIVE_STATUSES] } } });
      if (active) throw conflict(`task "${task.name}" has ${active} pending or running execution(s); cancel them first`);
      await tx.task.delete({ where: { id } });
    });
    this.deps.onChanged(id);
  }

  /** enable/disable/pause/resume: one switch, the next fire re-planned from now */
  async setSwitch(id: number, change: { enabled?: boolean; paused?: boolean }): Promise<Task> {
    const now = this.deps.clock.now();
    const task = await this.write(async (tx) => {
      const current = await this.lock(tx, id);
      const next = { ...current, ...change };
      const unchanged = next.enabled === current.enabled && next.paused === current.paused;
      return tx.task.update({
        where: { id },
        data: { ...change, nextRunAt: unchanged ? current.nextRunAt : plannedNextRun(next, now, await this.deps.fireFilter(current, tx)) },
      });
    });
    this.deps.onChanged(task.id);
    return task;
  }

  /** A calendar's days changed: its tasks' next fire is planned again from now (a fire already
   *  due is left to the fire path). */
  async replanCalendar(name: string): Promise<void> {
    const now = this.deps.clock.now();
    const changed = await this.write(async (tx) => {
      const ids = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Task" WHERE calendar = ${name} ORDER BY id FOR UPDATE`;
      const out: number[] = [];
      for (const { id } of ids) {
        const task = (await tx.task.findUnique({ where: { id } }))!;
        if (task.nextRunAt && task.nextRunAt.getTime() <= now.getTime()) continue;
        const next = plannedNextRun(task, now, await this.deps.fireFilter(task, tx));
        if (next?.getTime() === task.nextRunAt?.getTime()) continue;
        await tx.task.update({ where: { id }, data: { nextRunAt: next } });
        out.push(id);
      }
      return out;
    });
    for (const id of changed) this.deps.onChanged(id);
  }

  private async lock(tx: Tx, id: number): Promise<Task> {
    const rows = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Task" WHERE id = ${id} FOR UPDATE`;
    if (!rows.length) throw notFound(`task ${id}`);
    return (await tx.task.findUnique({ where: { id } }))!;
  }

  private async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.deps.prisma.$transaction(fn);
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") {
        throw conflict("a task with this name already exists");
      }
      throw e;
    }
  }

  private async workflowsUsing(tx: Tx, name: string): Promise<Task[]> {
    const workflows = await tx.task.findMany({ where: { kind: "WORKFLOW" }, orderBy: { name: "asc" } });
    return workflows.filter((w) => (w.config as WorkflowConfig).steps.some((s) => s.task === name));
  }

  /** a renamed task stays referenced: its workflows follow the new name */
  private async renameReferences(tx: Tx, from: string, to: string): Promise<void> {
    for (const w of await this.workflowsUsing(tx, from)) {
      const config = w.config as WorkflowConfig;
      const steps = config.steps.map((s) => (s.task === from ? { ...s, task: to } : s));
      await tx.task.update({ where: { id: w.id }, data: { config: { ...config, steps } as Prisma.InputJsonValue } });
    }
  }

  /** Every step's task exists, and no workflow contains itself, directly or through nested ones. */
  private async checkWorkflowReferences(tx: Tx, fields: TaskFields, current?: Task): Promise<void> {
    if (fields.kind !== "WORKFLOW") {
      // a task that becomes something else must not leave a loop behind: nothing to check then
      return;
    }
    const steps = (fields.config as WorkflowConfig).steps;
    const all = await tx.task.findMany({ select: { id: true, name: true, kind: true, config: true } });
    const byName = new Map(all.map((t) => [t.name, t]));
    steps.forEach((s, i) => {
      if (s.task === fields.name || (current && s.task === current.name)) {
        throw validation(`input.config.steps.${i}.task`, `step "${s.id}" runs the workflow "${fields.name}" itself`);
      }
      if (!byName.has(s.task)) throw validation(`input.config.steps.${i}.task`, `step "${s.id}": no task named "${s.task}"`);
    });
    // depth-first through nested workflows, looking for this one
    const self = new Set([fields.name, current?.name].filter(Boolean) as string[]);
    const seen = new Set<string>();
    const search = (name: string, path: string[]): string[] | null => {
      const t = byName.get(name);
      if (!t || t.kind !== "WORKFLOW" || seen.has(name)) return null;
      seen.add(name);
      for (const s of (t.config as WorkflowConfig).steps) {
        if (self.has(s.task)) return [...path, name, fields.name];
        const found = search(s.task, [...path, name]);
        if (found) return found;
      }
      return null;
    };
    for (const [i, s] of steps.entries()) {
      const loop = search(s.task, [fields.name]);
      if (loop) throw validation(`input.config.steps.${i}.task`, `workflow would contain itself: ${loop.join(" → ")}`);
    }
  }
}

/** The schedule's calendar must exist (the foreign key would refuse it less clearly). */
async function checkCalendar(tx: Tx, fields: TaskFields): Promise<void> {
  if (fields.calendar && !(await tx.calendar.findUnique({ where: { name: fields.calendar }, select: { id: true } }))) {
    throw validation("input.schedule.calendar", `no calendar named "${fields.calendar}" (create it with createCalendar)`);
  }
}

function toData(f: TaskFields) {
  return {
    name: f.name,
    displayName: f.displayName,
    description: f.description,
    kind: f.kind,
    config: f.config as Prisma.InputJsonValue,
    cron: f.cron,
    intervalSeconds: f.intervalSeconds,
    runAt: f.runAt,
    timezone: f.timezone,
    enabled: f.enabled,
    maxRetries: f.maxRetries,
    retryDelaySeconds: f.retryDelaySeconds,
    retryBackoff: f.retryBackoff,
    timeoutSeconds: f.timeoutSeconds,
    overlapPolicy: f.overlapPolicy,
    misfirePolicy: f.misfirePolicy,
    calendar: f.calendar,
    calendarDays: f.calendarDays,
    offsetDays: f.offsetDays,
    deadlineSeconds: f.deadlineSeconds,
    tags: f.tags,
  };
}
