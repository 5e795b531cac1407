// The execution state machine: the ONE module that changes Execution.status.
//   PENDING → RUNNING → SUCCEEDED | FAILED | TIMED_OUT | CANCELLED;  PENDING → CANCELLED | SKIPPED;
//   RUNNING → PENDING (released: claimed ahead of a free slot, handed back before it started)
// Each transition is one set-based statement (create.ts, claim.ts, finish.ts, progress.ts;
// fires.ts of the scheduler's fires), fenced by the state it expects, returning the rows it
// changed, which are published after the commit by publish.ts — callers never publish by hand.
// Consumers (runner, workflow engine, metrics) listen with `on` / the event bus.
import type { OwnAuditRow } from "../../audit/service.ts";
import type { Sql } from "../../db/database.ts";
import { conflict, notFound } from "../../errors.ts";
import type { EventPublisher } from "../../events/publisher.ts";
import type { Execution, Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logging/logger.ts";
import { claim, release } from "./claim.ts";
import { Creator } from "./create.ts";
import { Finisher, type FinishInput } from "./finish.ts";
import { RunWrites, type LogLine, type NumberedLine } from "./progress.ts";
import { StatePublisher, type CancelListener, type ChangeListener } from "./publish.ts";
import { ACTIVE_STATUSES, isFinal, type Change, type FinalState, type NewRun, type ProgressFields } from "./types.ts";

export * from "./types.ts";
export type { ChangeListener, CancelListener } from "./publish.ts";
export type { FinishInput } from "./finish.ts";
export type { LogLine, NumberedLine } from "./progress.ts";

export interface ExecutionStateDeps {
  sql: Sql;
  prisma: PrismaClient;
  events: EventPublisher;
  logger: Logger;
  now: () => Date;
  leaseMs: number;
}

export class ExecutionState {
  private readonly publisher: StatePublisher;
  private readonly creator: Creator;
  private readonly finisher: Finisher;
  private readonly writes: RunWrites;

  constructor(private readonly deps: ExecutionStateDeps) {
    this.publisher = new StatePublisher({ events: deps.events, logger: deps.logger });
    this.creator = new Creator(deps);
    this.finisher = new Finisher({ ...deps, publisher: this.publisher });
    this.writes = new RunWrites(deps);
  }

  // ── publishing ─────────────────────────────────────────────────────────────────────────────

  /** this instance's changes, after their commit, in statement order */
  on(listener: ChangeListener): () => void {
    return this.publisher.on(listener);
  }

  onCancelRequested(listener: CancelListener): () => void {
    return this.publisher.onCancelRequested(listener);
  }

  /** for transitions written in a caller's transaction: publish once it committed */
  publishChanged(changes: readonly Change[]): void {
    this.publisher.publishChanged(changes);
  }

  /** rows inserted through `insertRun`/`insertSkipped` (or by fires) were committed */
  created(rows: readonly Execution[]): void {
    this.publisher.created(rows);
  }

  // ── create ─────────────────────────────────────────────────────────────────────────────────

  /** a manual run; with `audit`, its audit row is written by the same statement */
  async trigger(taskId: number, params: Record<string, unknown> | null, force: boolean, actor: string | null, audit?: OwnAuditRow): Promise<Execution> {
    const row = await this.creator.trigger(taskId, params, force, actor, audit);
    this.created([row]);
    return row;
  }

  /** new runs in one statement, published */
  async createRuns(runs: readonly NewRun[]): Promise<Execution[]> {
    const rows = await this.creator.insertRuns(runs);
    this.created(rows);
    return rows;
  }

  insertRun(tx: Prisma.TransactionClient, run: NewRun): Promise<Execution> {
    return this.creator.insertRun(tx, run);
  }

  insertSkipped(tx: Prisma.TransactionClient, run: NewRun, error: string, now: Date): Promise<Execution> {
    return this.creator.insertSkipped(tx, run, error, now);
  }

  insertReused(tx: Prisma.TransactionClient, run: NewRun, from: Execution, now: Date): Promise<Execution> {
    return this.creator.insertReused(tx, run, from, now);
  }

  // ── claim and run ──────────────────────────────────────────────────────────────────────────

  /** claims up to `limit` runs for `worker` (plus workflow parents); returns the claimed rows */
  async claim(worker: string, limit: number): Promise<Execution[]> {
    const changes = await claim(this.deps, worker, limit);
    this.publisher.publishChanged(changes);
    return changes.filter((c) => c.kind === "claimed").map((c) => c.row);
  }

  /** hands runs `worker` claimed but never started back to PENDING; returns the ones it did */
  async release(worker: string, ids: readonly number[]): Promise<Execution[]> {
    const changes = await release(this.deps, worker, ids);
    this.publisher.publishChanged(changes);
    return changes.map((c) => c.row);
  }

  heartbeat(ids: readonly number[], worker: string): Promise<Map<number, boolean>> {
    return this.writes.heartbeat(ids, worker);
  }

  async progress(id: number, worker: string, fields: ProgressFields): Promise<Execution | null> {
    const row = await this.writes.progress(id, worker, fields);
    if (row) this.publisher.publishChanged([{ kind: "progress", row }]);
    return row;
  }

  /** numbered lines as written (the caller publishes them as log events) */
  appendLogs(id: number, lines: LogLine[], maxLines: number): Promise<NumberedLine[]> {
    return this.writes.appendLogs(id, lines, maxLines);
  }

  // ── final states ───────────────────────────────────────────────────────────────────────────

  /** The worker's own end of a run it holds (retried across a short outage until `deadlineMs`);
   *  null when it no longer held it. */
  finishRun(id: number, worker: string, final: FinalState, deadlineMs?: number): Promise<Execution | null> {
    return this.finisher.finish({ id, expect: ["RUNNING"], worker, final }, deadlineMs);
  }

  /** any other final state (a workflow parent's end, …); null when fenced out */
  finish(input: FinishInput): Promise<Execution | null> {
    return this.finisher.finish(input);
  }

  /** fails runs whose lease expired and applies the retry policy */
  sweep(limit = 100): Promise<Execution[]> {
    return this.finisher.sweep(limit);
  }

  async cancel(id: number, actor: string | null): Promise<Execution> {
    const row = await this.get(id);
    if (isFinal(row.status)) throw conflict(`execution ${id} has already finished (${row.status})`);
    if (row.status === "PENDING") {
      const done = await this.finish({ id, expect: ["PENDING"], final: { status: "CANCELLED", error: `cancelled by ${actor ?? "unknown"}` } });
      if (done) return done;
    }
    // RUNNING: ask the worker (wherever it is) to abort; it records CANCELLED when the run stops
    const requested = await this.writes.requestCancel(id);
    if (requested) await this.publisher.cancelRequested(requested);
    return this.get(id);
  }

  /** cancelExecutions: PENDING ones end CANCELLED (the finishes of one call go out as one
   *  batched statement), RUNNING ones are asked to stop, as with cancel(); returns how many. */
  async cancelMany(ids: readonly number[], actor: string | null): Promise<number> {
    const error = `cancelled by ${actor ?? "unknown"}`;
    const done = await Promise.all(ids.map((id) => this.finish({ id, expect: ["PENDING"], final: { status: "CANCELLED", error } })));
    let n = done.filter((d) => d !== null).length;
    for (const [i, id] of ids.entries()) {
      if (done[i]) continue;
      const requested = await this.writes.requestCancel(id);
      if (!requested) continue;
      n++;
      await this.publisher.cancelRequested(requested);
    }
    return n;
  }

  /** An operator's verdict: no retry follows, and the worker (if any) is told to stop. */
  async markFailed(id: number, reason: string | null, actor: string | null): Promise<Execution> {
    const row = await this.get(id);
    if (isFinal(row.status)) throw conflict(`execution ${id} has already finished (${row.status})`);
    const error = `marked failed by ${actor ?? "unknown"}${reason ? `: ${reason}` : ""}`;
    const done = await this.finish({ id, expect: ACTIVE_STATUSES, final: { status: "FAILED", error }, cancel: true });
    if (!done) throw conflict(`execution ${id} finished meanwhile`);
    return done;
  }

  private async get(id: number): Promise<Execution> {
    const row = await this.deps.prisma.execution.findUnique({ where: { id } });
    if (!row) throw notFound(`execution ${id}`);
    return row;
  }
}
