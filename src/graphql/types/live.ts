// Live views for dashboards and other watchers, from the event bus (no client polling):
// - activeExecutions: every active run's latest state, coalesced — a client watching a hundred
//   runs that each report progress ten times a second gets a few batches a second, not a
//   thousand messages;
// - taskChanged: a task was created, changed (switches too) or deleted;
// - schedulerUpdated: the scheduler's status, re-read when something it counts changes.
import { setTimeout as sleep } from "node:timers/promises";
import type { Execution } from "../../generated/prisma/client.ts";
import { ACTIVE_STATUSES } from "../../executions/service.ts";
import { validation } from "../../errors.ts";
import { builder } from "../builder.ts";
import { decodeId, encodeId } from "../ids.ts";
import { closingWith, ExecutionRef } from "./execution.ts";
import { SchedulerStatusRef } from "./scheduler.ts";
import { TaskRef } from "./task.ts";

interface ExecutionBatch {
  snapshot: boolean;
  executions: Execution[];
}

const ExecutionBatchRef = builder.objectRef<ExecutionBatch>("ExecutionBatch").implement({
  description:
    "snapshot: true for the first batch, every active (PENDING or RUNNING) execution at that moment — replace what you have. " +
    "Later batches carry the latest state of each execution that changed since the previous batch; one that reached a final status is no longer active.",
  fields: (t) => ({
    snapshot: t.exposeBoolean("snapshot"),
    executions: t.field({ type: [ExecutionRef], resolve: (b) => b.executions }),
  }),
});

interface TaskChange {
  id: number;
}

const TaskChangeRef = builder.objectRef<TaskChange>("TaskChange").implement({
  fields: (t) => ({
    id: t.id({ resolve: (c) => encodeId("Task", c.id) }),
    task: t.field({
      type: TaskRef,
      nullable: true,
      description: "The task as it is now; null when it was deleted",
      resolve: (c, _args, ctx) => ctx.prisma.task.findUnique({ where: { id: c.id } }),
    }),
  }),
});

/** the most active executions one snapshot lists */
const SNAPSHOT_MAX = 1000;
const MIN_INTERVAL_MS = 50;
const MAX_INTERVAL_MS = 10_000;

/** Wakes one waiting loop; a notify with nobody waiting is kept until the next wait. */
class Wakeup {
  private waiter: (() => void) | null = null;
  private due = false;
  notify(): void {
    this.due = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
  async wait(): Promise<void> {
    if (!this.due) await new Promise<void>((r) => (this.waiter = r));
    this.due = false;
  }
}

/** Drains `sources` in the background into `take`; `ended` says when all are done. */
function drain<T>(sources: AsyncIterable<T>[], take: (item: T) => void) {
  const wakeup = new Wakeup();
  const state = { ended: false, wakeup };
  void Promise.all(sources.map(async (s) => {
    for await (const item of s) {
      take(item);
      wakeup.notify();
    }
  })).finally(() => {
    state.ended = true;
    wakeup.notify();
  });
  return state;
}

/** Yields the latest value per key gathered from `sources`, at most once per `intervalMs`. */
async function* coalesce<T>(sources: AsyncIterable<T>[], key: (item: T) => number, intervalMs: number): AsyncGenerator<T[]> {
  const pending = new Map<number, T>();
  const state = drain(sources, (item) => pending.set(key(item), item));
  for (;;) {
    await state.wakeup.wait();
    if (state.ended) return;
    await new Promise((r) => setTimeout(r, intervalMs));
    const batch = [...pending.values()];
    pending.clear();
    if (batch.length) yield batch;
  }
}

/** One item every `ms` until stopped (stopping clears the timer at once). */
function every(ms: number) {
  const abort = new AbortController();
  const ticks = (async function* () {
    try {
      for (;;) {
        await sleep(ms, 0, { signal: abort.signal });
        yield 0;
      }
    } catch {
      // aborted: the subscriber left
    }
  })();
  return { ticks, stop: () => abort.abort() };
}

function checkInterval(ms: number | null | undefined, fallback: number): number {
  const value = ms ?? fallback;
  if (!Number.isInteger(value) || value < MIN_INTERVAL_MS || value > MAX_INTERVAL_MS) {
    throw validation("intervalMs", `intervalMs must be from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`);
  }
  return value;
}

builder.subscriptionFields((t) => ({
  activeExecutions: t.field({
    type: ExecutionBatchRef,
    authScopes: { viewer: true },
    description: `Every active execution (of one task with taskId): a snapshot first (at most ${SNAPSHOT_MAX}), then batches of changes at most every intervalMs (default 250)`,
    args: { taskId: t.arg.id(), intervalMs: t.arg.int() },
    subscribe: (_root, args, ctx) => {
      const taskId = args.taskId != null ? decodeId(String(args.taskId), "Task", "taskId") : null;
      const intervalMs = checkInterval(args.intervalMs, 250);
      const live = ctx.bus.subscribe("execution", "*");
      return closingWith(live, (async function* () {
        const active = await ctx.prisma.execution.findMany({
          where: { status: { in: [...ACTIVE_STATUSES] }, ...(taskId ? { taskId } : {}) },
          orderBy: { id: "asc" },
          take: SNAPSHOT_MAX,
        });
        const seen = new Map(active.map((e) => [e.id, e.updatedAt.getTime()]));
        yield { snapshot: true, executions: active };
        const mine = (async function* () {
          for await (const row of live) {
            if (taskId && row.taskId !== taskId) continue;
            // the snapshot may already hold a newer state than an event that was in flight
            const known = seen.get(row.id);
            if (known !== undefined && row.updatedAt.getTime() < known) continue;
            seen.set(row.id, row.updatedAt.getTime());
            yield row;
          }
        })();
        for await (const executions of coalesce([mine], (e) => e.id, intervalMs)) {
          for (const e of executions) if (!ACTIVE_STATUSES.includes(e.status)) seen.delete(e.id);
          yield { snapshot: false, executions };
        }
      })());
    },
    resolve: (batch) => batch,
  }),
  taskChanged: t.field({
    type: TaskChangeRef,
    authScopes: { viewer: true },
    description: "A task (this one with id, any without) was created, changed (enable/disable/pause/resume too) or deleted",
    args: { id: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      const key = args.id != null ? String(decodeId(String(args.id), "Task", "id")) : "*";
      const live = ctx.bus.subscribe("task", key);
      return closingWith(live, (async function* () {
        yield* live;
      })());
    },
    resolve: (change) => change,
  }),
  schedulerUpdated: t.field({
    type: SchedulerStatusRef,
    authScopes: { viewer: true },
    description:
      "The scheduler's status now, then again (at most once a second) whenever it was paused or resumed, a task changed or an execution changed status; " +
      "and every 10 seconds, for the count of live instances",
    subscribe: (_root, _args, ctx) => {
      const sources = [ctx.bus.subscribe("scheduler", "*"), ctx.bus.subscribe("task", "*"), ctx.bus.subscribe("executionStatus", "*")];
      const heartbeat = every(10_000);
      const all = {
        close: () => {
          for (const s of sources) s.close();
          heartbeat.stop();
        },
      };
      return closingWith(all, (async function* () {
        yield await ctx.engine.status();
        for await (const _ of coalesce<unknown>([...sources, heartbeat.ticks], () => 0, 1000)) yield await ctx.engine.status();
      })());
    },
    resolve: (status) => status,
  }),
}));
