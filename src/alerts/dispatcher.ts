// The outbox consumer: any instance claims unprocessed alert rows (FOR UPDATE SKIP LOCKED, so
// instances share the work and never take the same row), turns each into one AlertDelivery per
// channel that wants it, and marks it processed — all in one transaction, so a crash either
// leaves the row for the next claim or has made its deliveries; never both, never neither.
// Grouping: a cause of the same channel, task and event as a delivery made within the group
// window adds to that delivery's `count` instead of making a new message.
import type { Clock } from "../clock.ts";
import type { EventPublisher } from "../events/publisher.ts";
import type { AlertDelivery, Outbox, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { AlertEvent } from "../generated/prisma/enums.ts";
import type { Logger } from "../logging/logger.ts";
import { ALERT_TOPIC } from "./outbox.ts";
import { parseAlertPayload, type AlertPayload } from "./payload.ts";
import { channelWants, type AlertSubject } from "./rules.ts";

type Tx = Prisma.TransactionClient;

export interface DispatcherDeps {
  prisma: PrismaClient;
  clock: Clock;
  events: EventPublisher;
  logger: Logger;
  groupWindowMs: number;
  /** processed outbox rows are kept this long (for inspection), then deleted */
  keepProcessedMs: number;
  /** new deliveries exist: the sender should look now */
  wakeSender: () => void;
}

const BATCH = 100;

const isAlertEvent = (e: string): e is AlertEvent => Object.hasOwn(AlertEvent, e);

const PRUNE_EVERY_MS = 3600_000;

export class AlertDispatcher {
  private lastPrune = 0;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Processes claimable outbox rows until none is left; returns how many it took. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.batch();
      total += n;
      if (n < BATCH) break;
    }
    if (total) this.deps.wakeSender();
    await this.prune();
    return total;
  }

  private async batch(): Promise<number> {
    const created: AlertDelivery[] = [];
    const n = await this.deps.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Outbox[]>`
        SELECT * FROM "Outbox" WHERE topic = ${ALERT_TOPIC} AND "processedAt" IS NULL
        ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
      if (!rows.length) return 0;
      const channels = await tx.alertChannel.findMany({ where: { enabled: true }, orderBy: { id: "asc" } });
      const taskIds = [...new Set(rows.map((r) => r.taskId).filter((id): id is number => id !== null))];
      const tasks = new Map((await tx.task.findMany({ where: { id: { in: taskIds } }, select: { id: true, name: true, tags: true } })).map((t) => [t.id, t]));
      const executionIds = [...new Set(rows.map((r) => r.executionId).filter((id): id is number => id !== null))];
      const executions = new Set((await tx.execution.findMany({ where: { id: { in: executionIds } }, select: { id: true } })).map((e) => e.id));
      for (const row of rows) {
        if (!isAlertEvent(row.event)) {
          // a row no deliverer understands must not block the ones behind it
          this.deps.logger.warn({ outboxId: String(row.id), event: row.event }, "outbox row with an unknown alert event skipped");
          continue;
        }
        const event = row.event;
        const task = row.taskId !== null ? tasks.get(row.taskId) : undefined;
        const stored = parseAlertPayload(row.payload);
        const payload: AlertPayload = {
          ...stored,
          taskName: stored.taskName ?? task?.name ?? null,
          taskId: task?.id ?? null,
          executionId: row.executionId !== null && executions.has(row.executionId) ? row.executionId : null,
        };
        const subjects = task ? [task] : await this.subjectsByName(tx, payload.tasks ?? []);
        for (const channel of channels) {
          if (!channelWants(channel, event, subjects)) continue;
          const delivery = await this.deliver(tx, row, channel.id, event, payload);
          if (delivery) created.push(delivery);
        }
      }
      await tx.outbox.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { processedAt: this.deps.clock.now() } });
      return rows.length;
    });
    for (const d of created) this.deps.events.alertDelivery(d);
    return n;
  }

  /** A new delivery, or null when the cause was folded into a recent one of its group. */
  private async deliver(tx: Tx, row: Outbox, channelId: number, event: AlertEvent, payload: AlertPayload): Promise<AlertDelivery | null> {
    const groupKey = `${channelId}:${payload.taskId ?? payload.calendar ?? "-"}:${event}`;
    if (this.deps.groupWindowMs > 0) {
      // one instance at a time per group, or two could both see "no recent delivery"
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${groupKey}))`;
      const since = new Date(this.deps.clock.now().getTime() - this.deps.groupWindowMs);
      const recent = await tx.alertDelivery.findFirst({ where: { groupKey, createdAt: { gte: since } }, orderBy: { id: "desc" }, select: { id: true } });
      if (recent) {
        await tx.alertDelivery.update({ where: { id: recent.id }, data: { count: { increment: 1 } } });
        return null;
      }
    }
    return tx.alertDelivery.create({
      data: {
        channelId,
        event,
        outboxId: row.id,
        taskId: payload.taskId ?? null,
        executionId: payload.executionId ?? null,
        groupKey,
        payload: JSON.parse(JSON.stringify(payload)) as Prisma.InputJsonValue,
        nextAttemptAt: this.deps.clock.now(),
      },
    });
  }

  private async subjectsByName(tx: Tx, names: string[]): Promise<AlertSubject[]> {
    if (!names.length) return [];
    return tx.task.findMany({ where: { name: { in: names } }, select: { name: true, tags: true } });
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const before = new Date(this.deps.clock.now().getTime() - this.deps.keepProcessedMs);
    await this.deps.prisma.outbox.deleteMany({ where: { topic: ALERT_TOPIC, processedAt: { lt: before } } });
  }
}
