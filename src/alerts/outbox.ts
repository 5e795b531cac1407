// Enqueueing an alert: one Outbox row (topic "alert") written with the transaction that caused it,
// so it commits with the state change or not at all. A key turns repeated discoveries of one
// cause (several instances, every check) into one row.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { AlertCause } from "./payload.ts";

export const ALERT_TOPIC = "alert";

type Writer = Pick<PrismaClient, "outbox">;

/** Returns how many rows were new (a cause whose key exists already adds nothing). */
export async function enqueueAlerts(tx: Writer, causes: AlertCause[]): Promise<number> {
  if (!causes.length) return 0;
  const { count } = await tx.outbox.createMany({
    data: causes.map((c) => ({
      topic: ALERT_TOPIC,
      event: c.event,
      key: c.key ?? null,
      taskId: c.taskId ?? null,
      executionId: c.executionId ?? null,
      payload: JSON.parse(JSON.stringify(c.payload)) as Prisma.InputJsonValue,
    })),
    skipDuplicates: true,
  });
  return count;
}
