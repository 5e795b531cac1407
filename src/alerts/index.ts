// The alerting side of one instance: channels, the outbox consumer, the sender and the checkers
// that raise DEADLINE_MISSED and the week-ahead CALENDAR_GAP — each a loop owned here, started
// by start() and awaited by stop().
import { checkCoverage } from "../calendars/coverage.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { EventPublisher } from "../events/publisher.ts";
import type { AlertDelivery, PrismaClient, Task } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { FireFilter } from "../scheduler/schedule.ts";
import { AlertChannelService } from "./channels.ts";
import { DeadlineChecker } from "./deadlines.ts";
import { AlertDispatcher } from "./dispatcher.ts";
import { loop } from "./loop.ts";
import { AlertSender } from "./sender.ts";

export interface AlertsDeps {
  prisma: PrismaClient;
  clock: Clock;
  events: EventPublisher;
  logger: Logger;
  fireFilter: (task: Omit<Task, "config">) => Promise<FireFilter | undefined>;
  config: Pick<Config, "publicUrl" | "alertRetryBaseMs" | "alertTimeoutMs" | "alertGroupWindowMs" | "pollMs" | "catchUpWindowMs">;
}

export interface Alerts {
  channels: AlertChannelService;
  /** testAlertChannel: a TEST message to one channel, sent at once; returns its delivery */
  test(channelId: number): Promise<AlertDelivery>;
  /** an outbox row was written in this process: deliver without waiting for the poll */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

const KEEP_PROCESSED_MS = 7 * 24 * 3600_000;

export function createAlerts(deps: AlertsDeps): Alerts {
  const { prisma, clock, events, logger, config } = deps;
  const channels = new AlertChannelService({ prisma });
  const sender = new AlertSender({ prisma, clock, events, logger, publicUrl: config.publicUrl, retryBaseMs: config.alertRetryBaseMs, timeoutMs: config.alertTimeoutMs });
  // a second is soon enough for an alert; local writers wake the loops at once anyway
  const everyMs = Math.max(1000, config.pollMs);
  const sending = loop("alert-sender", everyMs, () => sender.drain(), logger);
  const dispatcher = new AlertDispatcher({ prisma, clock, events, logger, groupWindowMs: config.alertGroupWindowMs, keepProcessedMs: KEEP_PROCESSED_MS, wakeSender: () => sending.wake() });
  const dispatching = loop("alert-outbox", everyMs, () => dispatcher.drain(), logger);
  const deadlines = new DeadlineChecker({ prisma, clock, logger, fireFilter: deps.fireFilter, lookbackMs: config.catchUpWindowMs });
  const watching = loop("alert-watch", 2 * everyMs, async () => {
    const n = (await deadlines.check()) + (await checkCoverage({ prisma, clock }));
    if (n) dispatching.wake();
  }, logger);
  const loops = [dispatching, sending, watching];

  return {
    channels,
    async test(channelId) {
      const channel = await channels.get(channelId);
      const delivery = await prisma.alertDelivery.create({
        data: { channelId: channel.id, event: "TEST", payload: { message: `test message for channel "${channel.name}"` }, nextAttemptAt: clock.now() },
      });
      events.alertDelivery(delivery);
      return sender.sendNow(delivery.id);
    },
    wake: () => dispatching.wake(),
    start: () => loops.forEach((l) => l.start()),
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}
