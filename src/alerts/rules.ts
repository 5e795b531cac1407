// Which channels want an alert: one rule, used by the outbox consumer.
import type { AlertChannel } from "../generated/prisma/client.ts";
import type { AlertEvent } from "../generated/prisma/enums.ts";

export interface AlertSubject {
  name: string;
  tags: string[];
}

/**
 * An enabled channel gets the events it lists, limited (when it names any) to those task names
 * and/or tags — a task passes when it is named or carries one of the tags. An alert that is not
 * one task's (a calendar running out) concerns several tasks: it passes when one of them does.
 * TEST messages are sent to one channel on purpose and never fanned out.
 */
export function channelWants(channel: Pick<AlertChannel, "enabled" | "events" | "tasks" | "tags">, event: AlertEvent, subjects: AlertSubject[]): boolean {
  if (!channel.enabled || event === "TEST" || !channel.events.includes(event)) return false;
  if (!channel.tasks.length && !channel.tags.length) return true;
  return subjects.some((s) => channel.tasks.includes(s.name) || s.tags.some((tag) => channel.tags.includes(tag)));
}
