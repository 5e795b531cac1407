// Tasks as the runner needs them (kind, config, timeout), kept in memory: a claimed run needs no
// read of its task. Entries are dropped on every task-changed event, here or from another
// instance (the bridge), so the next run reads the new definition. Misses asked for together (a
// claim's runs of tasks not yet seen: 10,000 minute crons at their first minute) are read with
// one query, not one each.
import type { PrismaClient, Task } from "../generated/prisma/client.ts";

export class TaskCache {
  private readonly tasks = new Map<number, Promise<Task | null>>();
  /** misses waiting for the read at the end of this microtask turn */
  private pending: Map<number, { resolve(t: Task | null): void; reject(e: unknown): void }> | null = null;

  constructor(private readonly deps: { prisma: PrismaClient }) {}

  get(id: number): Promise<Task | null> {
    let task = this.tasks.get(id);
    if (!task) {
      task = this.read(id);
      this.tasks.set(id, task);
      // a miss or a failed read is not remembered
      task.then((t) => !t && this.forget(id, task!), () => this.forget(id, task!));
    }
    return task;
  }

  /** Reads the tasks not held yet, together, without waiting: a claim's runs wait for their
   *  slots one by one, and each would otherwise miss on its own when its turn came. */
  warm(ids: Iterable<number>): void {
    for (const id of ids) if (!this.tasks.has(id)) this.get(id).catch(() => {}); // a failed read is not kept: the run's own get reads again
  }

  invalidate(id: number): void {
    this.tasks.delete(id);
  }

  private read(id: number): Promise<Task | null> {
    if (!this.pending) {
      const batch = (this.pending = new Map());
      queueMicrotask(() => {
        this.pending = null;
        void this.readMany(batch);
      });
    }
    const batch = this.pending;
    return new Promise((resolve, reject) => batch.set(id, { resolve, reject }));
  }

  private async readMany(batch: NonNullable<TaskCache["pending"]>): Promise<void> {
    try {
      const rows = await this.deps.prisma.task.findMany({ where: { id: { in: [...batch.keys()] } } });
      const byId = new Map(rows.map((t) => [t.id, t]));
      for (const [id, waiter] of batch) waiter.resolve(byId.get(id) ?? null);
    } catch (e) {
      for (const waiter of batch.values()) waiter.reject(e);
    }
  }

  private forget(id: number, entry: Promise<Task | null>): void {
    if (this.tasks.get(id) === entry) this.tasks.delete(id);
  }
}
