// The composition root: builds every piece from the config and passes dependencies in.
// `main.ts` and the tests use the same builder; `stop()` releases every timer, socket, child
// process and connection it opened.
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AuditLog } from "./audit/service.ts";
import { createTokenService, resolveSecret, type TokenService } from "./auth/tokens.ts";
import { createAlerts } from "./alerts/index.ts";
import { CalendarService } from "./calendars/service.ts";
import { systemClock, type Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { openDatabase, type Database, type DatabaseTarget } from "./db/database.ts";
import { migrate, readMigrations, type MigrationReport } from "./db/migrator.ts";
import { CHANNEL, createBridgeReceiver, createPgNotifier, silentNotifier } from "./events/bridge.ts";
import { EventBus } from "./events/bus.ts";
import { EventPublisher } from "./events/publisher.ts";
import type { JobgraphEvents } from "./events/types.ts";
import { ExecutionService } from "./executions/service.ts";
import { ExecutionState } from "./executions/state/index.ts";
import { HistoryQueries } from "./executions/history.ts";
import { Operations } from "./executions/operations.ts";
import { RetentionJob } from "./executions/retention.ts";
import { VacuumJob } from "./db/vacuum.ts";
import { BurstAnalyzer } from "./executions/burst-analyzer.ts";
import { createCommandExecutor } from "./executors/command.ts";
import { createHandlerExecutor } from "./executors/handler.ts";
import { createDefaultHandlerRegistry, type HandlerRegistry } from "./executors/handlers/registry.ts";
import { createHttpExecutor } from "./executors/http.ts";
import type { Services } from "./graphql/context.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import { createMetrics } from "./metrics.ts";
import { Engine } from "./scheduler/engine.ts";
import { Fires } from "./scheduler/fires.ts";
import { Runner } from "./scheduler/runner.ts";
import { startHttpServer, type HttpServer } from "./server/server.ts";
import { TaskCache } from "./tasks/cache.ts";
import { TaskService } from "./tasks/service.ts";
import { createWorkflowEngine } from "./workflows/engine.ts";
import { seedDemo } from "./demo.ts";
import { VERSION } from "./version.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MIGRATIONS_DIR = path.join(ROOT, "prisma", "migrations");
export { VERSION };

export interface AppOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  /** embedders register their own handlers here */
  handlers?: HandlerRegistry;
  /** false: build everything but do not listen (tests of the engine alone) */
  http?: boolean;
  /** overrides the database chosen by the config (tests: an in-memory PGlite, a fresh database) */
  database?: DatabaseTarget;
}

export interface App {
  config: Config;
  db: Database;
  services: Services;
  tokens: TokenService;
  engine: Engine;
  instanceId: string;
  migrations: MigrationReport;
  http: HttpServer | null;
  /** true when the JWT secret was generated on this start */
  generatedSecret: boolean;
  stop(): Promise<void>;
}

export function databaseTarget(config: Config): DatabaseTarget {
  return config.databaseUrl
    ? { url: config.databaseUrl, poolSize: config.concurrency + 10 }
    : { pgliteDir: path.join(config.dataDir, "pglite") };
}

/** Applies pending migrations; throws MigrationError (database unchanged) when one fails. */
export async function migrateDatabase(db: Database): Promise<MigrationReport> {
  const migrations = await readMigrations(MIGRATIONS_DIR);
  return db.withSession((session) => migrate(session, migrations));
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const instanceId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const db = await openDatabase(options.database ?? databaseTarget(config));
  const closers: (() => Promise<void> | void)[] = [() => db.close()];
  const stopAll = async () => {
    for (const close of closers.reverse().splice(0)) {
      await Promise.resolve(close()).catch((e) => logger.error({ err: e }, "stop step failed"));
    }
  };
  try {
    const migrations = await migrateDatabase(db);
    if (migrations.applied.length) logger.info({ applied: migrations.applied }, "migrations applied");
    if (migrations.modified.length) logger.warn({ modified: migrations.modified }, "applied migrations changed on disk since");
    const { prisma } = db;
    const { secret, generated } = resolveSecret(config.jwtSecret, config.dataDir);
    const tokens = createTokenService(secret);

    const bus = new EventBus<JobgraphEvents>();
    const pgNotifier = db.listen ? createPgNotifier(db.sql, instanceId, logger, config.peerHelloMs) : null;
    const notifier = pgNotifier ?? silentNotifier;
    const events = new EventPublisher({ bus, notifier });
    // one way: the state machine publishes; metrics, the workflow engine and the runner listen
    const state = new ExecutionState({ sql: db.sql, prisma, events, logger, now: () => clock.now(), leaseMs: config.leaseMs });
    // (the HTTP server, which shares subscriptions, is made further down: looked up when read)
    let http: HttpServer | null = null;
    // fresh statistics right after a burst of new runs: the claim's plan is made from them
    const analyzer = new BurstAnalyzer({ prisma, logger });
    const offAnalyzer = state.on((changes) => analyzer.changed(changes));
    closers.push(async () => {
      offAnalyzer();
      await analyzer.settled();
    });
    const taskCache = new TaskCache({ prisma });
    const metrics = createMetrics({
      prisma,
      bus,
      state,
      // the runner's cache: the task a run just ran with, its name current (invalidated on change)
      taskName: async (id) => (await taskCache.get(id))?.name ?? String(id),
      shared: () => http?.sharedSubscriptions(),
    });
    closers.push(() => metrics.stop());
    const audit = new AuditLog({ prisma, logger });
    const handlers = options.handlers ?? createDefaultHandlerRegistry();
    const calendars = new CalendarService({ prisma, clock, audit, logger });
    const fireFilter: CalendarService["fireFilter"] = (task, db) => calendars.fireFilter(task, db);
    const executions = new ExecutionService({ prisma, state });
    const workflows = createWorkflowEngine({ prisma, state, events, bus, audit, clock, logger });
    const runner = new Runner({
      prisma,
      state,
      tasks: taskCache,
      executors: {
        COMMAND: createCommandExecutor({ killGraceMs: config.killGraceMs, calendars }),
        HTTP: createHttpExecutor(),
        HANDLER: createHandlerExecutor(handlers),
      },
      workflows,
      bus,
      events,
      audit,
      clock,
      logger,
      workerId: instanceId,
      concurrency: config.concurrency,
      leaseMs: config.leaseMs,
      pollMs: config.pollMs,
      maxLogLines: config.maxLogLines,
      jsonLimits: config.limits.json,
    });
    const fires = new Fires({
      prisma,
      sql: db.sql,
      // the fire statement's rows go out the way every created run does (engine branch: publishChanged)
      publishCreated: (rows) => executions.created(rows),
      clock,
      logger,
      catchUpWindowMs: config.catchUpWindowMs,
      catchUpMax: config.catchUpMax,
      onTimeGraceMs: Math.max(10_000, 2 * config.pollMs),
      leadMs: config.fireLeadMs,
      fireFilter,
    });
    const engine = new Engine({
      prisma,
      clock,
      logger,
      events,
      state,
      fires,
      runner,
      workflows,
      instanceId,
      version: VERSION,
      leaseMs: config.leaseMs,
      pollMs: config.pollMs,
      shutdownGraceMs: config.shutdownGraceMs,
      fireFilter,
    });
    const tasks = new TaskService({
      prisma,
      clock,
      handlerNames: () => handlers.names(),
      jsonLimits: config.limits.json,
      onChanged: (id) => {
        taskCache.invalidate(id);
        void engine.taskChanged(id).catch((e) => logger.error({ err: e, taskId: id }, "timer sync failed"));
      },
      fireFilter,
    });
    // a calendar's days changed: the tasks on it plan their next fire again
    calendars.onChanged((name) => void tasks.replanCalendar(name).catch((e) => logger.error({ err: e, calendar: name }, "re-planning failed")));
    const history = new HistoryQueries({ prisma });
    const alerts = createAlerts({ prisma, clock, events, logger, fireFilter, config });
    const operations = new Operations({ prisma, executions, clock, fireFilter });
    const services: Services = { prisma, tasks, executions, history, operations, engine, audit, bus, logger, calendars, alerts, limits: config.limits };

    if (db.listen) {
      const receive = createBridgeReceiver({
        prisma,
        origin: instanceId,
        events,
        logger,
        heard: pgNotifier?.heard,
        handlers: {
          work: (at) => runner.wakeAt(at),
          taskChanged: (id) => {
            taskCache.invalidate(id);
            void engine.taskChanged(id, true).catch(() => {});
          },
          schedulerChanged: () => void engine.syncAllTimers().catch(() => {}),
        },
      });
      const unlisten = await db.listen(CHANNEL, (payload) => void receive(payload));
      closers.push(unlisten);
      pgNotifier?.announce();
      closers.push(() => pgNotifier?.stop());
    }

    // Listen before the engine starts: a busy port must fail start-up before this instance has
    // claimed (and then, stopping, cancelled) anybody's runs.
    let httpClosing: Promise<void> | undefined;
    const closeHttp = () => (httpClosing ??= http?.close() ?? Promise.resolve());
    if (options.http !== false) {
      http = await startHttpServer({
        host: config.host,
        port: config.port,
        services,
        tokens,
        endpoints: {
          ready: async () => {
            await prisma.$queryRaw`SELECT 1`;
            return engine.isRunning;
          },
          metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        },
      });
      closers.push(closeHttp); // if what follows fails
    }

    if (config.demo) await seedDemo({ prisma, tasks, calendars, executions, logger });
    await engine.start();
    closers.push(() => engine.stop());
    const retention = new RetentionJob(
      { prisma, clock, logger, audit, onPruned: (n, reason) => metrics.pruned(n, reason) },
      { retentionDays: config.retentionDays, perTask: config.retentionPerTask, maxLogLines: config.maxLogLines, intervalMs: config.retentionIntervalMs },
    );
    retention.start();
    closers.push(() => retention.stop());
    if (db.backend === "pglite") {
      // PGlite has no autovacuum daemon: do its work (PostgreSQL's own runs on the server)
      const vacuum = new VacuumJob({ prisma, logger });
      vacuum.start();
      closers.push(() => vacuum.stop());
    }
    alerts.start();
    closers.push(() => alerts.stop());

    // on stop the server closes first: no new requests while the engine drains
    closers.push(closeHttp);

    return {
      config,
      db,
      services,
      tokens,
      engine,
      instanceId,
      migrations,
      http,
      generatedSecret: generated,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
