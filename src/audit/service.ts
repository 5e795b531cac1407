// Every mutation and every automatic action (sweep, catch-up, retry, shutdown) leaves one row:
// who (a token's `sub`, or "system"), what, whether it worked, and on what.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";

export const SYSTEM_ACTOR = "system";

export interface AuditEntry {
  actor: string | null;
  action: string;
  ok: boolean;
  error?: string | null;
  taskId?: number | null;
  executionId?: number | null;
  details?: Prisma.InputJsonValue;
}

/** The success row of a mutation whose own statement writes it, beside the change it records (the
 *  actor, the target and ok = true are the statement's): a hot mutation — triggerTask — then
 *  costs one round trip and one commit, not two. See `audited`. */
export interface OwnAuditRow {
  action: string;
  details?: Record<string, unknown>;
}

type Writer = Pick<PrismaClient, "auditEvent">;

export class AuditLog {
  constructor(private readonly deps: { prisma: PrismaClient; logger: Logger }) {}

  /** Writes through `tx` when given, so the entry commits (or not) with the change it describes. */
  async record(entry: AuditEntry, tx: Writer = this.deps.prisma): Promise<void> {
    try {
      await tx.auditEvent.create({
        data: {
          actor: entry.actor,
          action: entry.action,
          ok: entry.ok,
          error: entry.error ?? null,
          taskId: entry.taskId ?? null,
          executionId: entry.executionId ?? null,
          details: entry.details,
        },
      });
    } catch (e) {
      if (tx !== this.deps.prisma) throw e; // inside a transaction: let it roll back
      this.deps.logger.error({ err: e, entry }, "could not write audit event");
    }
  }
}
