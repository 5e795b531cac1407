// Carries events between instances over PostgreSQL LISTEN/NOTIFY. Outgoing messages name their
// origin so an instance ignores its own; incoming ones are re-published on the local bus (an
// execution change is re-read from the database: the row is the truth, the message a hint).
import type { Sql } from "../db/database.ts";
import type { Execution, PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { Notifier, EventPublisher } from "./publisher.ts";
import type { BridgeMessage } from "./types.ts";

export const CHANNEL = "jobgraph_events";

export interface BridgeHandlers {
  /** work exists from `at` (ms since the epoch; absent: now) */
  work(at?: number): void;
  taskChanged(id: number): void;
  schedulerChanged(): void;
}

/** how every payload of `origin` begins: the receiver recognises its own instance's by it */
const payloadHead = (origin: string) => `{"o":${JSON.stringify(origin)},`;

/** NOTIFY payloads must stay under 8000 bytes */
const MAX_PAYLOAD = 7500;

// all the NOTIFYs of a flush in one statement, in order
const NOTIFY = {
  name: "jobgraph_notify",
  text: "SELECT pg_notify($1::text, p) FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS n(p, i) ORDER BY i",
};

/** A notifier that also knows whether anybody else listens (below). */
export interface PgNotifier extends Notifier {
  /** says "I am here" now (after this instance's LISTEN is up) and every `helloMs` after */
  announce(): void;
  /** a message of another instance arrived (the receiver calls this for every one) */
  heard(origin: string, message: BridgeMessage): void;
  stop(): void;
}

/**
 * Nobody to tell, nothing sent: every instance says "hello" on start and every `helloMs`, and one
 * that heard no other instance for PEER_TTL_HELLOS of those sends nothing but its hellos (a lone
 * instance, the common deployment, spent a quarter of its statement time on NOTIFYs nobody read:
 * 10,000 fires, claims and finishes a minute, each a whole row). A newcomer sends from its start
 * and its first hello is answered at once, so the others send to it from then; it assumes company
 * only until that answer could have come (ANSWER_WAIT_MS), not for the whole TTL: a lone instance
 * restarted just before a burst (the close's fires) would otherwise spend its first 15 s sending
 * every change to nobody. What anybody missed in between is what a dropped LISTEN connection
 * misses — hints (the row is the truth; the runner's poll and the workflow engine's resume cover
 * the rest).
 */
const PEER_TTL_HELLOS = 3;
/** how long after its first hello a newcomer waits for an answer before it takes itself as alone */
const ANSWER_WAIT_MS = 2000;

/**
 * NOTIFY, as a prepared statement on the pool (no Prisma on this path: it runs on every tick with
 * events). Messages sent in the same tick travel together (one NOTIFY carrying a list), which
 * keeps a busy engine from spending a round trip per event; sends are fire-and-forget and never
 * throw into the caller. Messages arrive already serialised (the publisher serialises each once).
 * All the NOTIFYs of a flush go in ONE statement, and one flush at a time is in flight (later
 * messages wait for the next): NOTIFY serialises on a cluster-wide lock at commit, so a burst
 * (1,000 fires) sent as a hundred concurrent statements would hold a hundred pool connections
 * waiting on each other, and the claims of every instance would queue behind them.
 */
export function createPgNotifier(sql: Sql, origin: string, logger: Logger, helloMs: number): PgNotifier {
  const ttlMs = PEER_TTL_HELLOS * helloMs;
  /** others were heard until then (assumed until the first hello had its chance of an answer) */
  let peersUntil = Date.now() + ttlMs;
  const known = new Map<string, number>();
  let helloTimer: NodeJS.Timeout | undefined;
  let queue: string[] = [];
  let inFlight = false;
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
    const head = payloadHead(origin);
    const payloads = batches.map((batch) => `${head}"m":[${batch.join(",")}]}`);
    inFlight = true;
    sql
      .query(NOTIFY, [CHANNEL, JSON.stringify(payloads)])
      .catch((e) => logger.warn({ err: e }, "NOTIFY failed"))
      .finally(() => {
        inFlight = false;
        if (queue.length) setImmediate(flush);
      });
  };
  const push = (json: string) => {
    if (!queue.length && !inFlight) setImmediate(flush);
    queue.push(json);
  };
  const HELLO = JSON.stringify({ t: "hello" } satisfies BridgeMessage);
  return {
    get enabled() {
      return Date.now() < peersUntil;
    },
    sendJson(json) {
      if (Date.now() < peersUntil) push(json);
    },
    announce() {
      if (!known.size) peersUntil = Date.now() + Math.min(ttlMs, ANSWER_WAIT_MS);
      push(HELLO);
      clearInterval(helloTimer);
      helloTimer = setInterval(() => push(HELLO), helloMs);
      helloTimer.unref();
    },
    heard(from, message) {
      const now = Date.now();
      peersUntil = Math.max(peersUntil, now + ttlMs);
      const last = known.get(from);
      known.set(from, now);
      for (const [o, at] of known) if (now - at > ttlMs) known.delete(o);
      // a newcomer (or one back after a silence) hears of this instance at once, not in helloMs
      if (message.t === "hello" && (last === undefined || now - last > ttlMs)) push(HELLO);
    },
    stop() {
      clearInterval(helloTimer);
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

export const silentNotifier: Notifier = { enabled: false, sendJson() {} };

export function createBridgeReceiver(deps: {
  prisma: PrismaClient;
  origin: string;
  events: EventPublisher;
  handlers: BridgeHandlers;
  logger: Logger;
  /** every message of another instance (the notifier keeps count of who is there) */
  heard?: (origin: string, message: BridgeMessage) => void;
}) {
  // this instance hears its own NOTIFYs too (its LISTEN is a connection like any other): they are
  // recognised by their first bytes, as the notifier writes them, not parsed (a tick of 10,000
  // fires is 10,000 rows of JSON, three times over: created, claimed, finished)
  const own = payloadHead(deps.origin);
  return async (payload: string) => {
    if (payload.startsWith(own)) return;
    let parsed: { o: string; m: BridgeMessage[] };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (parsed.o === deps.origin || !Array.isArray(parsed.m)) return;
    for (const m of parsed.m) {
      deps.heard?.(parsed.o, m);
      await handle(m);
    }
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
          deps.handlers.work(typeof m.at === "number" ? m.at : undefined);
          break;
        case "task":
          deps.events.taskChanged(m.id, true);
          deps.handlers.taskChanged(m.id);
          break;
        case "scheduler":
          deps.events.schedulerChanged(true);
          deps.handlers.schedulerChanged();
          break;
        case "hello":
          break;
        case "alertDelivery": {
          const row = await deps.prisma.alertDelivery.findUnique({ where: { id: m.id } });
          if (row) deps.events.alertDelivery(row, true);
          break;
        }
      }
    } catch (e) {
      deps.logger.warn({ err: e, message: m }, "bridge message failed");
    }
  }
}
