import type { AlertDelivery, Execution } from "../generated/prisma/client.ts";

export interface LogLineEvent {
  executionId: number;
  seq: number;
  at: Date;
  stream: string;
  text: string;
}

/** Topics of the in-process bus; the key says whose events (an execution id, a task id or "*"). */
export type JobgraphEvents = {
  /** every change of one execution (status, progress, cancel request, …) — key: execution id,
   *  and "*" for every execution (the dashboard's coalesced view of all running work) */
  execution: Execution;
  /** status changes only — key: task id, and "*" for all tasks */
  executionStatus: Execution;
  /** captured output — key: execution id */
  logLine: LogLineEvent;
  /** an alert delivery was created or reached DELIVERED / FAILED — key: "*" */
  alertDelivery: AlertDelivery;
  /** a task was created, changed or deleted — key: task id, and "*" */
  task: { id: number };
  /** the scheduler was paused or resumed — key: "*" */
  scheduler: Record<string, never>;
};

/** What travels between instances over LISTEN/NOTIFY (kept small: NOTIFY payloads are < 8 kB). */
export type BridgeMessage =
  /** the row travels along when small, so a remote subscriber sees this very state (re-reading
   *  could skip one, e.g. RUNNING when the run already finished); otherwise it is re-read */
  | { t: "execution"; id: number; statusChanged: boolean; row?: Record<string, unknown> }
  | { t: "log"; line: LogLineEvent }
  | { t: "work"; at?: number }
  | { t: "task"; id: number }
  | { t: "scheduler" }
  | { t: "alertDelivery"; id: number }
  /** "I am here" (see createPgNotifier): on start, every few seconds, and in answer to a newcomer */
  | { t: "hello" };
