// Publishes every state change twice: to this process's subscribers at once, and to the other
// instances through the database (NOTIFY), where the bridge re-publishes it locally.
import type { AlertDelivery, Execution } from "../generated/prisma/client.ts";
import type { EventBus } from "./bus.ts";
import type { BridgeMessage, JobgraphEvents, LogLineEvent } from "./types.ts";

export interface Notifier {
  /** false: nobody to tell (PGlite, or no other instance heard of lately), so nothing is
   *  serialised (read at each send) */
  readonly enabled: boolean;
  /** a BridgeMessage, serialised */
  sendJson(json: string): void;
}

/** rows larger than this (big params, results or log tails) are re-read by the receiver */
const ROW_IN_MESSAGE_MAX = 3000;

export class EventPublisher {
  constructor(private readonly deps: { bus: EventBus<JobgraphEvents>; notifier: Notifier }) {}

  executionChanged(row: Execution, statusChanged: boolean, fromRemote = false): void {
    const { bus, notifier } = this.deps;
    bus.publish("execution", String(row.id), row);
    bus.publish("execution", "*", row);
    if (statusChanged) {
      bus.publish("executionStatus", String(row.taskId), row);
      bus.publish("executionStatus", "*", row);
    }
    if (fromRemote || !notifier.enabled) return;
    // the row is serialised once, straight into the message
    const json = JSON.stringify(row);
    const head = `{"t":"execution","id":${row.id},"statusChanged":${statusChanged}`;
    notifier.sendJson(json.length <= ROW_IN_MESSAGE_MAX ? `${head},"row":${json}}` : `${head}}`);
  }

  private send(message: BridgeMessage): void {
    if (this.deps.notifier.enabled) this.deps.notifier.sendJson(JSON.stringify(message));
  }

  logLine(line: LogLineEvent, fromRemote = false): void {
    this.deps.bus.publish("logLine", String(line.executionId), line);
    if (!fromRemote) this.send({ t: "log", line: { ...line, text: line.text.slice(0, 4000) } });
  }

  /** new runnable work exists, from `at` (ms since the epoch): wake the runners of the other
   *  instances (then) */
  work(at: number): void {
    this.send({ t: "work", at });
  }

  taskChanged(id: number, fromRemote = false): void {
    this.deps.bus.publish("task", String(id), { id });
    this.deps.bus.publish("task", "*", { id });
    if (!fromRemote) this.send({ t: "task", id });
  }

  alertDelivery(row: AlertDelivery, fromRemote = false): void {
    this.deps.bus.publish("alertDelivery", "*", row);
    if (!fromRemote) this.send({ t: "alertDelivery", id: row.id });
  }

  schedulerChanged(fromRemote = false): void {
    this.deps.bus.publish("scheduler", "*", {});
    if (!fromRemote) this.send({ t: "scheduler" });
  }
}
