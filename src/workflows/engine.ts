// The workflow engine: drives WORKFLOW runs (a DAG of other tasks) through their child executions.
//
// A workflow parent holds no runner slot and no lease; ALL its state is in the database, in its
// children (one per step and attempt). `advance(parentId)` is the one operation: idempotent, in a
// transaction that locks the parent row, it reads the parent, its task's config and its children,
// decides (plan.ts) and writes — new step children, SKIPPED children for steps that will never
// run, the parent's progress — then, after the commit, publishes, asks for cancels and ends the
// parent through the execution service. Any instance may advance any workflow at any time: a
// child's status change (local, or from another instance through the event bridge), a cancel
// request, start-up and every poll (`resumeAll`) all just call it. So a restart mid-workflow
// continues where it stopped, and two instances advancing the same run create each step once.
//
// Decisions worth knowing (see also plan.ts):
// - Run params: the parent's params (over the workflow config's `defaults`). A key naming a step
//   whose value is an object is that step's own params; every other key is shared by all steps.
//   A step's params = step.params, then the shared keys, then its own (the child task's config
//   defaults apply under all of them, as for any run).
// - Steps that will never run get a SKIPPED child (error says why), so `children` lists every step.
// - A step cancelled by an instance shutdown ("cancelled: instance shutting down", no cancel
//   request) is not a verdict on the step: it gets a new attempt (trigger RETRY, attempt + 1,
//   retryOf the interrupted one) on whichever instance advances next — at once on a surviving
//   instance, or on start-up after a restart. A step whose worker crashed is swept FAILED ("lease
//   lost") like any run and follows its task's retry policy.
import type { AuditLog } from "../audit/service.ts";
import { SYSTEM_ACTOR } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { AppError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import type { EventPublisher } from "../events/publisher.ts";
import type { JobgraphEvents } from "../events/types.ts";
import { isFinal, type ExecutionState } from "../executions/state/index.ts";
import { Prisma, type Execution, type PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { WorkflowDriver } from "../scheduler/workflow-driver.ts";
import { workflowConfig, type WorkflowConfig } from "../tasks/config-schemas.ts";
import { DagError, topologicalOrder } from "../tasks/dag.ts";
import { planWorkflow, type ParentProgress, type WorkflowPlan } from "./plan.ts";

export interface WorkflowEngineDeps {
  prisma: PrismaClient;
  state: ExecutionState;
  events: EventPublisher;
  bus: EventBus<JobgraphEvents>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}

export interface WorkflowEngine extends WorkflowDriver {
  /** Advances one workflow run now (coalesced with an advance of it already under way). */
  advance(parentId: number): Promise<void>;
}

export function createWorkflowEngine(deps: WorkflowEngineDeps): WorkflowEngine {
  return new Engine(deps);
}

type Tx = Prisma.TransactionClient;

interface Outcome {
  plan: WorkflowPlan;
  parent: Execution;
  created: Execution[];
  skipped: Execution[];
  updated: Execution | null;
}

/** a transaction that lost a race (duplicate step, deadlock) is simply run again */
const MAX_ATTEMPTS = 4;

class Engine implements WorkflowEngine {
  /** advances under way, one per parent; `again` asks for one more pass when it ends */
  private readonly runs = new Map<number, { again: boolean; skipLocked: boolean; promise: Promise<void> }>();
  /** RUNNING parents seen here: when one ends some other way, its children are cancelled at once */
  private readonly tracked = new Set<number>();
  private stopping = false;
  private readonly unsubscribe: (() => void)[];

  constructor(private readonly deps: WorkflowEngineDeps) {
    this.unsubscribe = [
      // every step transition (here, or on another instance through the bridge) moves its parent,
      // once: this is the only path from a step's change to its parent
      deps.bus.on("executionStatus", "*", (row) => {
        if (row.parentId !== null && (row.status === "RUNNING" || (isFinal(row.status) && row.status !== "SKIPPED"))) {
          this.kick(row.parentId);
        }
        if (isFinal(row.status) && this.tracked.has(row.id)) this.kick(row.id);
      }),
      // a RUNNING parent has no worker to abort it: its steps are cancelled from here
      deps.state.onCancelRequested(async (row) => {
        if (row.leaseExpiresAt === null) await this.cancelRequested(row);
      }),
    ];
  }

  // ── WorkflowDriver ─────────────────────────────────────────────────────────────────────────

  async start(parent: Execution): Promise<void> {
    this.tracked.add(parent.id);
    await this.advance(parent.id);
  }

  async cancelRequested(parent: Execution): Promise<void> {
    this.tracked.add(parent.id);
    await this.advance(parent.id);
  }

  async resumeAll(): Promise<void> {
    if (this.stopping) return;
    const { prisma } = this.deps;
    const running = await prisma.execution.findMany({
      where: { status: "RUNNING", task: { kind: "WORKFLOW" } },
      select: { id: true },
      orderBy: { id: "asc" },
    });
    // parents that ended while children were still active (marked failed on another instance…)
    const ended = await prisma.$queryRaw<{ id: number }[]>`
      SELECT DISTINCT p.id FROM "Execution" c JOIN "Execution" p ON p.id = c."parentId"
      WHERE c.status IN ('PENDING', 'RUNNING') AND p.status NOT IN ('PENDING', 'RUNNING')
      ORDER BY p.id`;
    for (const { id } of [...running, ...ended]) {
      if (this.stopping) return;
      this.tracked.add(id);
      // a parent another transaction is advancing right now needs no second pass from the poll
      await this.advance(id, true);
    }
  }

  /** `skipLocked`: the safety poll's pass, which may skip a parent another transaction is
   *  advancing right now (that one reads the latest state anyway). */
  advance(parentId: number, skipLocked = false): Promise<void> {
    const current = this.runs.get(parentId);
    if (current) {
      current.again = true;
      current.skipLocked &&= skipLocked;
      return current.promise;
    }
    if (this.stopping) return Promise.resolve();
    const run = { again: true, skipLocked, promise: Promise.resolve() };
    run.promise = (async () => {
      try {
        let failures = 0;
        while (run.again) {
          run.again = false;
          const skip = run.skipLocked;
          run.skipLocked = true; // requests arriving during this pass decide how the next one locks
          try {
            await this.advanceOnce(parentId, skip);
            failures = 0;
          } catch (e) {
            if (isRace(e) && ++failures < MAX_ATTEMPTS) {
              run.again = true;
              run.skipLocked = false;
              continue;
            }
            this.deps.logger.error({ err: e, executionId: parentId }, "workflow advance failed");
          }
        }
      } finally {
        this.runs.delete(parentId);
      }
    })();
    this.runs.set(parentId, run);
    return run.promise;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const off of this.unsubscribe) off();
    while (this.runs.size) await Promise.allSettled([...this.runs.values()].map((r) => r.promise));
  }

  // ── one pass ───────────────────────────────────────────────────────────────────────────────

  private kick(parentId: number): void {
    if (this.stopping) return;
    void this.advance(parentId);
  }

  private async advanceOnce(parentId: number, skipLocked: boolean): Promise<void> {
    const { prisma, state } = this.deps;
    const now = this.deps.clock.now();
    const outcome = await prisma.$transaction((tx) => this.decide(tx, parentId, skipLocked, now));
    if (!outcome) return;
    const { plan, parent } = outcome;
    // skipped steps were created already SKIPPED: published (and counted) as ended runs
    state.publishChanged([
      ...[...outcome.created, ...outcome.skipped].map((row) => ({ kind: "created" as const, row })),
      ...(outcome.updated ? [{ kind: "progress" as const, row: outcome.updated }] : []),
    ]);
    if (plan.finish) {
      const { status, error, result } = plan.finish;
      await state.finish({ id: parentId, expect: ["RUNNING"], final: { status, error, result }, progress: progressData(plan.progress) });
    }
    for (const id of plan.cancel) {
      try {
        await state.cancel(id, plan.cancelActor);
      } catch (e) {
        // finished meanwhile: nothing to cancel
        if (!(e instanceof AppError && e.code === "CONFLICT")) this.deps.logger.warn({ err: e, executionId: id }, "could not cancel a workflow step");
      }
    }
    // ended, and nothing of it left to stop: the next events of its children need not find it
    if (parent.status !== "RUNNING" && !plan.cancel.length) this.tracked.delete(parentId);
  }

  /** Inside the transaction: lock the parent, read, plan, write. Null: nothing to do. */
  private async decide(tx: Tx, parentId: number, skipLocked: boolean, now: Date): Promise<Outcome | null> {
    // FOR NO KEY UPDATE (the lock an UPDATE of the row takes) serialises advances of this parent
    // without blocking transactions that insert rows referencing it (a step's retry, inserted by
    // the execution service while it holds that step's row): FOR UPDATE would, and could deadlock.
    const locked = skipLocked
      ? await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Execution" WHERE id = ${parentId} FOR NO KEY UPDATE SKIP LOCKED`
      : await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Execution" WHERE id = ${parentId} FOR NO KEY UPDATE`;
    if (!locked.length) return null;
    const parent = await tx.execution.findUnique({ where: { id: parentId }, include: { task: true } });
    if (!parent || parent.status === "PENDING") return null;
    const children = await tx.execution.findMany({ where: { parentId }, orderBy: { id: "asc" } });
    // a workflow that ended before it started a step (invalid config…) has nothing to clean up
    if (parent.status !== "RUNNING" && children.length === 0) {
      this.tracked.delete(parentId);
      return null;
    }

    const config = readConfig(parent.task.kind, parent.task.config);
    if (typeof config === "string") {
      // the task changed under the run into something that cannot be run: end it clearly
      if (parent.status !== "RUNNING") return null;
      const cancel = children.filter((c) => c.status === "PENDING" || (c.status === "RUNNING" && !c.cancelRequested)).map((c) => c.id);
      return {
        parent,
        created: [],
        skipped: [],
        updated: null,
        plan: {
          create: [],
          rerun: [],
          skip: [],
          cancel,
          cancelActor: `workflow #${parentId} (invalid)`,
          finish: { status: "FAILED", error: config, result: { steps: {} } },
          progress: { progress: parent.progress ?? 0, progressMessage: config, processedItems: parent.processedItems ?? 0, totalItems: parent.totalItems ?? 0, currentItem: null },
        },
      };
    }

    const plan = planWorkflow({
      parent: {
        id: parent.id,
        status: parent.status,
        cancelRequested: parent.cancelRequested,
        startedAt: parent.startedAt,
        params: parent.params,
        timeoutSeconds: parent.task.timeoutSeconds,
      },
      config,
      children,
      now,
    });

    // The tasks of the steps to create or skip (renames rewrite the config; deletes are refused).
    // Their rows are locked FOR KEY SHARE (what inserting a child takes anyway) up front and in id
    // order — the order in which a claim pass locks task rows — so the two cannot deadlock.
    const names = [...new Set([...plan.create.map((c) => c.step.task), ...plan.skip.map((s) => s.step.task)])];
    const rerunTaskIds = [...new Set(plan.rerun.map((r) => r.taskId))];
    const tasks =
      names.length || rerunTaskIds.length
        ? await tx.$queryRaw<{ id: number; name: string }[]>`
            SELECT id, name FROM "Task" WHERE name = ANY(${names}::text[]) OR id = ANY(${rerunTaskIds}::int[]) ORDER BY id FOR KEY SHARE`
        : [];
    const taskIds = new Map(tasks.map((t) => [t.name, t.id]));
    const missing = [...plan.create, ...plan.skip].find((c) => !taskIds.has(c.step.task));
    if (missing && parent.status === "RUNNING") {
      const error = `step "${missing.step.id}": no task named "${missing.step.task}"`;
      plan.create = [];
      plan.skip = plan.skip.filter((s) => taskIds.has(s.step.task));
      plan.cancel = children.filter((c) => c.status === "PENDING" || (c.status === "RUNNING" && !c.cancelRequested)).map((c) => c.id);
      plan.finish = { status: "FAILED", error, result: plan.finish?.result ?? { steps: {} } };
    } else if (missing) {
      plan.skip = plan.skip.filter((s) => taskIds.has(s.step.task));
    }

    const { state } = this.deps;
    const created: Execution[] = [];
    for (const c of plan.create) {
      created.push(
        await state.insertRun(tx, {
          taskId: taskIds.get(c.step.task)!,
          trigger: "WORKFLOW",
          scheduledAt: now,
          params: c.params,
          triggeredBy: parent.triggeredBy,
          parentId,
          stepId: c.step.id,
        }),
      );
    }
    for (const r of plan.rerun) {
      const retry = await state.insertRun(tx, {
        taskId: r.taskId,
        trigger: "RETRY",
        scheduledAt: now,
        params: r.params as Record<string, unknown> | null,
        triggeredBy: r.triggeredBy,
        parentId,
        stepId: r.stepId,
        attempt: r.attempt + 1,
        retryOfId: r.id,
      });
      await this.deps.audit.record(
        {
          actor: SYSTEM_ACTOR,
          action: "execution.retry",
          ok: true,
          taskId: r.taskId,
          executionId: retry.id,
          details: { retryOf: r.id, attempt: retry.attempt, reason: "interrupted by an instance shutdown", workflow: parentId },
        },
        tx,
      );
      created.push(retry);
    }
    const skipped: Execution[] = [];
    for (const s of plan.skip) {
      skipped.push(
        await state.insertSkipped(
          tx,
          { taskId: taskIds.get(s.step.task)!, trigger: "WORKFLOW", scheduledAt: now, triggeredBy: parent.triggeredBy, parentId, stepId: s.step.id },
          s.error,
          now,
        ),
      );
    }

    // the parent's progress (when it ends now, the final write carries it instead)
    let updated: Execution | null = null;
    if (!plan.finish && progressChanged(parent, plan.progress)) {
      updated = await tx.execution.update({ where: { id: parentId }, data: progressData(plan.progress) });
    }
    return { plan, parent, created, skipped, updated };
  }
}

/** The workflow config the run follows, or why it cannot run. */
function readConfig(kind: string, raw: unknown): WorkflowConfig | string {
  if (kind !== "WORKFLOW") return `the task is no longer a workflow (kind ${kind})`;
  const parsed = workflowConfig.safeParse(raw);
  if (!parsed.success) return `invalid workflow config: ${parsed.error.issues[0]?.message ?? "unreadable"}`;
  try {
    topologicalOrder(parsed.data.steps);
  } catch (e) {
    if (e instanceof DagError) return `invalid workflow config: ${e.message}`;
    throw e;
  }
  return parsed.data;
}

function progressData(p: ParentProgress) {
  return { progress: p.progress, progressMessage: p.progressMessage, processedItems: p.processedItems, totalItems: p.totalItems, currentItem: p.currentItem };
}

function progressChanged(row: Execution, p: ParentProgress): boolean {
  return (
    row.progress !== p.progress ||
    row.progressMessage !== p.progressMessage ||
    row.processedItems !== p.processedItems ||
    row.totalItems !== p.totalItems ||
    row.currentItem !== p.currentItem
  );
}

/** a lost race: the whole transaction is re-run and reads what the winner wrote */
function isRace(e: unknown): boolean {
  if (e instanceof Prisma.PrismaClientKnownRequestError && (e.code === "P2002" || e.code === "P2034")) return true;
  return /deadlock detected|could not serialize|Execution_step_key/i.test((e as Error)?.message ?? "");
}
