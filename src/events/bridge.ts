// Carries events between instances over PostgreSQL LISTEN/NOTIFY. Outgoing messages name their
// origin so an instance ignores its own; incoming ones are re-published on the local bus (an
// execution change is re-read from the database: the row is the truth, the message a hint).
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { Notifier, EventPublisher } from "./publisher.ts";
import type { BridgeMessage } from "./types.ts";

export const CHANNEL = "jobgraph_events";

export interface BridgeHandlers {
  work(): void;
  taskChanged(id: number): void;
  schedulerChanged(): void;
}

/** NOTIFY through Prisma; sends are fire-and-forget and never throw into the caller. */
export function createPgNotifier(prisma: PrismaClient, origin: string, logger: Logger): Notifier {
  return {
    send(message) {
      const payload = JSON.stringify({ o: origin, m: message });
      prisma.$executeRaw`SELECT pg_notify(${CHANNEL}, ${payload})`.catch((e) => logger.warn({ err: e }, "NOTIFY failed"));
    },
  };
}

export const silentNotifier: Notifier = { send() {} };

export function createBridgeReceiver(deps: { prisma: PrismaClient; origin: string; events: EventPublisher; handlers: BridgeHandlers; logger: Logger }) {
  return async (payload: string) => {
    let parsed: { o: string; m: BridgeMessage };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (parsed.o === deps.origin) return;
    const m = parsed.m;
    try {
      switch (m.t) {
        case "execution": {
          const row = await deps.prisma.execution.findUnique({ where: { id: m.id } });
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
          deps.handlers.taskChanged(m.id);
          break;
        case "scheduler":
          deps.handlers.schedulerChanged();
          break;
      }
    } catch (e) {
      deps.logger.warn({ err: e, message: m }, "bridge message failed");
    }
  };
}
