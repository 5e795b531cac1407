// Prometheus metrics (prom-client) on a registry of this app's own, so several apps in one
// process (tests) do not collide. Counters and histograms are fed by the engine's events;
// gauges that describe the database are read when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EventBus } from "./events/bus.ts";
import type { JobgraphEvents } from "./events/types.ts";
import { isFinal } from "./executions/service.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";

export interface Metrics {
  registry: Registry;
  stop(): void;
}

export function createMetrics(deps: { prisma: PrismaClient; bus: EventBus<JobgraphEvents>; workerId: string }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "jobgraph_process_" });
  const taskNames = new Map<number, string>();
  const taskName = async (id: number) => {
    let name = taskNames.get(id);
    if (!name) {
      name = (await deps.prisma.task.findUnique({ where: { id }, select: { name: true } }))?.name ?? String(id);
      taskNames.set(id, name);
    }
    return name;
  };

  const finished = new Counter({
    name: "jobgraph_executions_finished_total",
    help: "Executions that reached a final state, by task and status",
    labelNames: ["task", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "jobgraph_execution_duration_seconds",
    help: "Run time of finished executions",
    labelNames: ["task", "status"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const lateness = new Histogram({
    name: "jobgraph_fire_lateness_seconds",
    help: "Actual start minus scheduledAt, for runs this instance started",
    labelNames: ["trigger"],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: "jobgraph_executions_active",
    help: "Executions RUNNING or PENDING in the database",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await deps.prisma.execution.groupBy({ by: ["status"], where: { status: { in: ["RUNNING", "PENDING"] } }, _count: { _all: true } });
      this.reset();
      for (const s of ["RUNNING", "PENDING"]) this.set({ status: s }, rows.find((r) => r.status === s)?._count._all ?? 0);
    },
  });
  new Gauge({
    name: "jobgraph_subscriptions",
    help: "Live GraphQL subscriptions on this instance",
    registers: [registry],
    collect() {
      this.set(deps.bus.subscriberCount());
    },
  });

  const off = deps.bus.on("executionStatus", "*", (row) => {
    void (async () => {
      const task = await taskName(row.taskId);
      if (row.status === "RUNNING" && row.startedAt && row.workerId === deps.workerId) {
        lateness.observe({ trigger: row.trigger }, Math.max(0, (row.startedAt.getTime() - row.scheduledAt.getTime()) / 1000));
      }
      // count each end once in the cluster: on the instance that ran it (or any, for never-run ends)
      if (isFinal(row.status) && (row.workerId === deps.workerId || row.workerId === null)) {
        finished.inc({ task, status: row.status });
        if (row.durationMs !== null) duration.observe({ task, status: row.status }, row.durationMs / 1000);
      }
    })().catch(() => {});
  });
  return { registry, stop: off };
}
