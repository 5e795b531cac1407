// Prometheus metrics (prom-client) on a registry of this app's own, so several apps in one
// process (tests) do not collide.
// - Ends of runs are counted by the instance that wrote the final state (it listens to its state
//   machine's changes): every end exactly once in the cluster, whether a worker finished it, the
//   sweeper failed it, an operator cancelled it before it started, or a workflow skipped a step.
// - Fire lateness is observed by the instance that claimed the run.
// - Gauges that describe the database (active executions) are read when scraped; the
//   subscription gauge counts this instance's live GraphQL subscriptions.
// - Process metrics are prom-client's defaults under their standard names (process_*, nodejs_*).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EventBus } from "./events/bus.ts";
import type { JobgraphEvents } from "./events/types.ts";
import { endsRun, type ExecutionState } from "./executions/state/index.ts";
import type { Execution, PrismaClient } from "./generated/prisma/client.ts";

export interface Metrics {
  registry: Registry;
  /** retention pruned `count` executions */
  pruned(count: number, reason: "age" | "count"): void;
  stop(): void;
}

export function createMetrics(deps: {
  prisma: PrismaClient;
  bus: EventBus<JobgraphEvents>;
  state: ExecutionState;
  /** a task's name (the label of its series) */
  taskName: (id: number) => Promise<string>;
  /** subscriptions served by shared sources, and those sources (each one bus listener for all
   *  its subscribers: see server/shared-subscriptions.ts); none until the server is up */
  shared: () => { sources: number; subscribers: number } | undefined;
}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const finished = new Counter({
    name: "jobgraph_executions_finished_total",
    help: "Executions that reached a final state, by task and final status",
    labelNames: ["task", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "jobgraph_execution_duration_seconds",
    help: "Run time (finishedAt - startedAt) of finished executions that started, by task and final status",
    labelNames: ["task", "status"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const lateness = new Histogram({
    name: "jobgraph_fire_lateness_seconds",
    help: "Actual start minus scheduledAt, for runs this instance started, by trigger",
    labelNames: ["trigger"],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const pruned = new Counter({
    name: "jobgraph_retention_pruned_total",
    help: "Executions deleted by retention on this instance, by reason (age, count)",
    labelNames: ["reason"],
    registers: [registry],
  });
  new Gauge({
    name: "jobgraph_executions_active",
    help: "Executions RUNNING or PENDING in the database, by status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await deps.prisma.execution.groupBy({ by: ["status"], where: { status: { in: ["RUNNING", "PENDING"] } }, _count: { _all: true } });
      this.reset();
      for (const s of ["RUNNING", "PENDING"]) this.set({ status: s }, rows.find((r) => r.status === s)?._count._all ?? 0);
    },
  });
  new Gauge({
    name: "jobgraph_alert_deliveries",
    help: "Alert deliveries in the database, by status (PENDING, DELIVERED, FAILED)",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await deps.prisma.alertDelivery.groupBy({ by: ["status"], _count: { _all: true } });
      this.reset();
      for (const s of ["PENDING", "DELIVERED", "FAILED"]) this.set({ status: s }, rows.find((r) => r.status === s)?._count._all ?? 0);
    },
  });
  new Gauge({
    name: "jobgraph_subscriptions",
    help: "Live GraphQL subscriptions on this instance",
    registers: [registry],
    collect() {
      const shared = deps.shared() ?? { sources: 0, subscribers: 0 };
      this.set(deps.bus.subscriberCount() - shared.sources + shared.subscribers);
    },
  });

  const executionFinished = (row: Execution) =>
    void deps.taskName(row.taskId)
      .then((task) => {
        finished.inc({ task, status: row.status });
        if (row.durationMs !== null) duration.observe({ task, status: row.status }, row.durationMs / 1000);
      })
      .catch(() => {});

  const off = deps.state.on((changes) => {
    for (const c of changes) {
      if (endsRun(c)) executionFinished(c.row);
      else if (c.kind === "claimed" && c.row.startedAt) {
        lateness.observe({ trigger: c.row.trigger }, Math.max(0, (c.row.startedAt.getTime() - c.row.scheduledAt.getTime()) / 1000));
      }
    }
  });

  return {
    registry,
    pruned(count, reason) {
      pruned.inc({ reason }, count);
    },
    stop: off,
  };
}
