// Tasks as the runner needs them (kind, config, timeout), kept in memory: a claimed run needs no
// read of its task. Entries are dropped on every task-changed event, here or from another
// instance (the bridge), so the next run reads the new definition.
import type { PrismaClient, Task } from "../generated/prisma/client.ts";

export class TaskCache {
  private readonly tasks = new Map<number, Promise<Task | null>>();

  constructor(private readonly deps: { prisma: PrismaClient }) {}

  get(id: number): Promise<Task | null> {
    let task = this.tasks.get(id);
    if (!task) {
      task = this.deps.prisma.task.findUnique({ where: { id } });
      this.tasks.set(id, task);
      // a miss or a failed read is not remembered
      task.then((t) => !t && this.forget(id, task!), () => this.forget(id, task!));
    }
    return task;
  }

  invalidate(id: number): void {
    this.tasks.delete(id);
  }

  private forget(id: number, entry: Promise<Task | null>): void {
    if (this.tasks.get(id) === entry) this.tasks.delete(id);
  }
}
