// After the commit, every transition hands its changed rows to `publishChanged`, and nothing else
// publishes execution changes: subscribers of this process (the bus), the other instances
// (NOTIFY, through the publisher), and this process's consumers (the runner, metrics, …, which
// register with `on`) all hear of each change once, in the order the statement returned them.
import type { EventPublisher } from "../../events/publisher.ts";
import type { Execution } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logging/logger.ts";
import { statusChanged, type Change } from "./types.ts";

/** A consumer of this instance's own state changes (remote ones arrive on the bus instead). */
export type ChangeListener = (changes: readonly Change[]) => void;

/** Called when cancel was requested on a RUNNING row; `cancel` waits for it (a workflow parent
 *  has no worker to abort it, its engine cancels the steps). */
export type CancelListener = (row: Execution) => Promise<void>;

export class StatePublisher {
  private readonly listeners = new Set<ChangeListener>();
  private readonly cancelListeners = new Set<CancelListener>();

  constructor(private readonly deps: { events: EventPublisher; logger: Logger }) {}

  on(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onCancelRequested(listener: CancelListener): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }

  /** The one way changed rows are published (every transition, and engine-fires' fires). */
  publishChanged(changes: readonly Change[]): void {
    if (!changes.length) return;
    const { events, logger } = this.deps;
    for (const c of changes) events.executionChanged(c.row, statusChanged(c.kind));
    // other instances' runners: new runnable work, or a slot of an exclusive task freed (a fire
    // written ahead of its time says when it may start, and they look then)
    const waking = changes.filter(wakesOthers);
    if (waking.length) events.work(Math.min(...waking.map((c) => c.row.runAfter.getTime())));
    for (const listener of this.listeners) {
      try {
        listener(changes);
      } catch (e) {
        logger.error({ err: e }, "state change listener failed");
      }
    }
  }

  /** new rows were committed (inserted through a caller's transaction) */
  created(rows: readonly Execution[]): void {
    this.publishChanged(rows.map((row) => ({ kind: "created", row })));
  }

  async cancelRequested(row: Execution): Promise<void> {
    this.publishChanged([{ kind: "cancelRequested", row }]);
    for (const listener of this.cancelListeners) await listener(row);
  }
}

/** a change another instance's runner may be waiting for */
export function wakesOthers(c: Change): boolean {
  switch (c.kind) {
    case "created":
      return c.row.status === "PENDING";
    case "finished":
      return c.row.exclusive;
    case "released":
      return true;
    case "claimed":
    case "progress":
    case "cancelRequested":
      return false;
  }
}
