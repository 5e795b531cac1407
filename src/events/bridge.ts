// Carries events between instances over PostgreSQL LISTEN/NOTIFY. Outgoing messages name their
// origin so an instance ignores its own; incoming ones are re-published on the local bus (an
// execution change is re-read from the database: the row is the truth, the message a hint).
import type { Execution, PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { Notifier, EventPublisher } from "./publisher.ts";
import type { BridgeMessage } from "./types.ts";

export const CHANNEL = "jobgraph_events";

export interface BridgeHandlers {
  work(): void;
  taskChanged(id: number): void;
  schedulerChanged(): void;
}

/** NOTIFY payloads must stay under 8000 bytes */
const MAX_PAYLOAD = 7500;

/**
 * NOTIFY through Prisma. Messages sent in the same tick travel together (one NOTIFY carrying a
 * list), which keeps a busy engine from spending a round trip per event; sends are
 * fire-and-forget and never throw into the caller.
 */
export function createPgNotifier(prisma: PrismaClient, origin: string, logger: Logger): Notifier {
  let queue: string[] = [];
  const flush = () => {
    const messages = queue;
    queue = [];
    const batches: string[][] = [[]];
    let size = 0;
    for (const m of messages) {
      if (size + m.length > MAX_PAYLOAD && batches.at(-1)!.length) {
        batches.push([]);
        size = 0;
      }
      batches.at(-1)!.push(m);
      size += m.length + 1;
    }
    for (const batch of batches) {
      const payload = `{"o":${JSON.stringify(origin)},"m":[${batch.join(",")}]}`;
      prisma.$executeRaw`SELECT pg_notify(${CHANNEL}, ${payload})`.catch((e) => logger.warn({ err: e }, "NOTIFY failed"));
    }
  };
  return {
    send(message) {
      if (!queue.length) setImmediate(flush);
      queue.push(JSON.stringify(message));
    },
  };
}

const EXECUTION_DATES = ["scheduledAt", "runAfter", "startedAt", "finishedAt", "heartbeatAt", "leaseExpiresAt", "createdAt", "updatedAt"];

/** an Execution row that travelled as JSON: its dates back to Date objects */
function reviveExecution(json: Record<string, unknown>): Execution {
  const row: Record<string, unknown> = { ...json };
  for (const key of EXECUTION_DATES) if (typeof row[key] === "string") row[key] = new Date(row[key] as string);
  return row as unknown as Execution;
}

export const silentNotifier: Notifier = { send() {} };

export function createBridgeReceiver(deps: { prisma: PrismaClient; origin: string; events: EventPublisher; handlers: BridgeHandlers; logger: Logger }) {
  return async (payload: string) => {
    let parsed: { o: string; m: BridgeMessage[] };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (parsed.o === deps.origin || !Array.isArray(parsed.m)) return;
    for (const m of parsed.m) await handle(m);
  };

  async function handle(m: BridgeMessage): Promise<void> {
    try {
      switch (m.t) {
        case "execution": {
          const row = m.row ? reviveExecution(m.row) : await deps.prisma.execution.findUnique({ where: { id: m.id } });
          if (row) deps.events.executionChanged(row, m.statusChanged, true);
          break;
        }
        case "log":
          deps.events.logLine({ ...m.line, at: new Date(m.line.at) }, true);
          break;
        case "work":
          deps.handlers.work();
          break;
        case "task":
          deps.events.taskChanged(m.id, true);
          deps.handlers.taskChanged(m.id);
          break;
        case "scheduler":
          deps.events.schedulerChanged(true);
          deps.handlers.schedulerChanged();
          break;
      }
    } catch (e) {
      deps.logger.warn({ err: e, message: m }, "bridge message failed");
    }
  }
}
