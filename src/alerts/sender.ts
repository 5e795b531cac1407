// Sends due PENDING deliveries, at least once. A claim moves the delivery's nextAttemptAt past
// the request's timeout (one UPDATE … FOR UPDATE SKIP LOCKED), so instances never send the same
// delivery at once, and a delivery whose sender died mid-request is claimed again later.
// Failures retry with exponential backoff (base × 2^(attempt-1), at most an hour apart) until a
// day after the delivery was created; then it is FAILED. Receivers deduplicate on
// X-Jobgraph-Delivery (the same on every attempt).
import type { Clock } from "../clock.ts";
import type { EventPublisher } from "../events/publisher.ts";
import type { AlertChannel, AlertDelivery, PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { bodyError, buildRequest } from "./formats.ts";
import { parseAlertPayload } from "./payload.ts";

export interface SenderDeps {
  prisma: PrismaClient;
  clock: Clock;
  events: EventPublisher;
  logger: Logger;
  publicUrl?: string;
  retryBaseMs: number;
  timeoutMs: number;
}

/** a delivery is retried for this long after it was created */
export const MAX_DELIVERY_AGE_MS = 24 * 3600_000;
const MAX_RETRY_GAP_MS = 3600_000;
const BATCH = 10;

export function retryDelay(baseMs: number, attempts: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_GAP_MS);
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

export class AlertSender {
  constructor(private readonly deps: SenderDeps) {}

  /** Sends every due delivery; returns how many attempts were made. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.claim(BATCH);
      if (!ids.length) return total;
      await Promise.all(ids.map((id) => this.attempt(id)));
      total += ids.length;
    }
  }

  /** One attempt now for this delivery (testAlertChannel), whatever its nextAttemptAt. */
  async sendNow(id: number): Promise<AlertDelivery> {
    const claimed = await this.claim(1, id);
    if (claimed.length) await this.attempt(id);
    return this.deps.prisma.alertDelivery.findUniqueOrThrow({ where: { id } });
  }

  private async claim(limit: number, onlyId?: number): Promise<number[]> {
    const now = this.deps.clock.now();
    const until = new Date(now.getTime() + this.deps.timeoutMs + 30_000);
    const rows = onlyId !== undefined
      ? await this.deps.prisma.$queryRaw<{ id: number }[]>`
          UPDATE "AlertDelivery" SET "nextAttemptAt" = ${until}
          WHERE id = (SELECT id FROM "AlertDelivery" WHERE id = ${onlyId} AND status = 'PENDING' FOR UPDATE SKIP LOCKED)
          RETURNING id`
      : await this.deps.prisma.$queryRaw<{ id: number }[]>`
          UPDATE "AlertDelivery" SET "nextAttemptAt" = ${until}
          WHERE id IN (SELECT id FROM "AlertDelivery" WHERE status = 'PENDING' AND "nextAttemptAt" <= ${now}
                       ORDER BY "nextAttemptAt", id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING id`;
    return rows.map((r) => r.id);
  }

  private async attempt(id: number): Promise<void> {
    const delivery = await this.deps.prisma.alertDelivery.findUnique({ where: { id }, include: { channel: true } });
    if (!delivery || delivery.status !== "PENDING") return;
    const outcome = await this.post(delivery, delivery.channel);
    const now = this.deps.clock.now();
    const attempts = delivery.attempts + 1;
    const next = new Date(now.getTime() + retryDelay(this.deps.retryBaseMs, attempts));
    const givesUp = !outcome.ok && next.getTime() - delivery.createdAt.getTime() > MAX_DELIVERY_AGE_MS;
    // fenced on PENDING: a delivery whose channel was deleted meanwhile is gone, not revived
    const { count } = await this.deps.prisma.alertDelivery.updateMany({
      where: { id, status: "PENDING" },
      data: outcome.ok
        ? { status: "DELIVERED", attempts, deliveredAt: now, responseStatus: outcome.status, lastError: null }
        : { status: givesUp ? "FAILED" : "PENDING", attempts, responseStatus: outcome.status, lastError: outcome.error, nextAttemptAt: next },
    });
    if (!count) return;
    if (outcome.ok || givesUp) this.deps.events.alertDelivery(await this.deps.prisma.alertDelivery.findUniqueOrThrow({ where: { id } }));
    if (!outcome.ok) this.deps.logger.warn({ deliveryId: id, channel: delivery.channel.name, attempts, error: outcome.error, final: givesUp }, "alert delivery failed");
  }

  private async post(delivery: AlertDelivery, channel: AlertChannel): Promise<Outcome> {
    const request = buildRequest(
      channel.kind,
      channel.url,
      channel.secret,
      { deliveryId: delivery.id, event: delivery.event, count: delivery.count, createdAt: delivery.createdAt, payload: parseAlertPayload(delivery.payload), publicUrl: this.deps.publicUrl },
      this.deps.clock.now(),
    );
    try {
      const res = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body, redirect: "error", signal: AbortSignal.timeout(this.deps.timeoutMs) });
      const text = (await res.text()).slice(0, 4000);
      if (!res.ok) return { ok: false, status: res.status, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ""}` };
      const refused = bodyError(channel.kind, text);
      return refused ? { ok: false, status: res.status, error: refused } : { ok: true, status: res.status };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const reason = err.name === "TimeoutError" ? `no answer within ${this.deps.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
      return { ok: false, status: null, error: `POST failed: ${reason}` };
    }
  }
}
