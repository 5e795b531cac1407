// Embedded PGlite runs PostgreSQL without its autovacuum daemon: every state change leaves a dead
// row version behind (a run leaves two), and nothing ever removes them or refreshes the planner's
// statistics. Left alone, the tables and their indexes grow with every run ever made, and the
// claim's plan is made for the empty table of the first start. This job does autovacuum's work
// for PGlite, with autovacuum's rule: a table is vacuumed and analyzed once its dead rows exceed
// 50 + 20 % of its live ones. (On PostgreSQL the server does this itself; the job is not started.)
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";

/** autovacuum's defaults: autovacuum_vacuum_threshold and autovacuum_vacuum_scale_factor */
const THRESHOLD = 50;
const SCALE = 0.2;

export interface VacuumDeps {
  prisma: PrismaClient;
  logger: Logger;
  /** between two looks at the tables (default 60 s) */
  intervalMs?: number;
}

export class VacuumJob {
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: VacuumDeps) {}

  start(): void {
    const every = this.deps.intervalMs ?? 60_000;
    this.timer = setInterval(() => {
      this.running = this.runOnce().catch((e) => this.deps.logger.warn({ err: e }, "vacuum failed"));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** vacuums (and analyzes) the tables past the threshold; returns their names */
  async runOnce(): Promise<string[]> {
    const due = await this.deps.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT relname AS name FROM pg_stat_user_tables
       WHERE schemaname = 'public' AND n_dead_tup > ${THRESHOLD} + ${SCALE} * n_live_tup
       ORDER BY n_dead_tup DESC`,
    );
    const done: string[] = [];
    for (const { name } of due) {
      if (this.stopped) break;
      // one table at a time: PGlite has one connection, and the engine's statements wait meanwhile
      await this.deps.prisma.$executeRawUnsafe(`VACUUM (ANALYZE) "${name.replaceAll('"', '""')}"`);
      done.push(name);
    }
    if (done.length) this.deps.logger.debug({ tables: done }, "vacuumed");
    return done;
  }
}
