// What an alert says, as written into Outbox.payload by whatever caused it (the state machine for
// FAILED/TIMED_OUT/LEASE_LOST/RECOVERED, the fire path for MISSED_FIRE and calendar gaps, the
// deadline checker). Every key is optional: each cause fills what it knows. Parsed back with this
// same schema; unknown keys are kept (a newer writer may add some) and shown in generic webhooks.
import { z } from "zod";
import type { AlertEvent } from "../generated/prisma/enums.ts";

const time = z.union([z.string(), z.null()]).optional();

export const alertPayloadSchema = z.looseObject({
  taskName: z.string().nullish(),
  status: z.string().nullish(),
  error: z.string().nullish(),
  attempt: z.number().nullish(),
  scheduledAt: time,
  startedAt: time,
  finishedAt: time,
  /** MISSED_FIRE */
  policy: z.string().nullish(),
  missed: z.number().nullish(),
  caughtUp: z.number().nullish(),
  /** DEADLINE_MISSED */
  deadlineAt: time,
  deadlineSeconds: z.number().nullish(),
  /** CALENDAR_GAP */
  calendar: z.string().nullish(),
  date: z.string().nullish(),
  coverageUntil: z.string().nullish(),
  /** tasks concerned when the cause is not one task's (a calendar running out): channel filters match on them */
  tasks: z.array(z.string()).nullish(),
  message: z.string().nullish(),
  /** filled in when a delivery is made from the outbox row */
  taskId: z.number().nullish(),
  executionId: z.number().nullish(),
});
export type AlertPayload = z.infer<typeof alertPayloadSchema>;

/** An outbox row's payload as stored; a malformed one still yields an alert (with what parsed). */
export function parseAlertPayload(json: unknown): AlertPayload {
  const parsed = alertPayloadSchema.safeParse(json);
  return parsed.success ? parsed.data : { message: "alert payload could not be read" };
}

export interface AlertCause {
  event: AlertEvent;
  /** makes the cause unique across instances and repeated checks (e.g. "DEADLINE_MISSED:7:2027-01-04T07:30:00.000Z") */
  key?: string | null;
  taskId?: number | null;
  executionId?: number | null;
  payload: AlertPayload;
}
