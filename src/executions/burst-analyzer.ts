// The engine's hot statements are prepared, and PostgreSQL plans a prepared statement once per
// connection from the table's statistics. Those are taken (by autovacuum, or PGlite's vacuum
// job) when few runs are waiting — most of the time none are — so they say "no PENDING rows",
// and a burst of thousands of fires (the market close, a busy minute, a backfill) meets a claim
// planned for an empty queue: it sorts the whole backlog on every claim until the next automatic
// analyze, up to a minute later. Right after a burst of new runs, this refreshes the statistics
// of "Execution" at once (an ANALYZE samples at most 30,000 rows; it invalidates the cached plans,
// which are made again from the new numbers), at most once per `minIntervalMs`.
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { Change } from "./state/index.ts";

/** new runnable rows since the last refresh that make a burst */
export const BURST_ROWS = 500;

export class BurstAnalyzer {
  private created = 0;
  private lastAt = -Infinity;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: { prisma: PrismaClient; logger: Logger; minIntervalMs?: number; now?: () => number }) {}

  /** a state change was committed (listen with `state.on`): counts the new PENDING runs */
  changed(changes: readonly Change[]): void {
    for (const c of changes) if (c.kind === "created" && c.row.status === "PENDING") this.added(1);
  }

  /** `n` new PENDING runs were committed */
  added(n: number): void {
    this.created += n;
    const now = (this.deps.now ?? Date.now)();
    if (this.created < BURST_ROWS || this.running || now - this.lastAt < (this.deps.minIntervalMs ?? 30_000)) return;
    this.created = 0;
    this.lastAt = now;
    this.running = this.deps.prisma
      .$executeRawUnsafe(`ANALYZE "Execution"`)
      .then(() => this.deps.logger.debug("refreshed the statistics of Execution after a burst of new runs"))
      .catch((e) => this.deps.logger.warn({ err: e }, "could not refresh the statistics of Execution"))
      .finally(() => (this.running = null));
  }

  /** the refresh under way, if any (tests, stop) */
  async settled(): Promise<void> {
    await this.running;
  }
}
