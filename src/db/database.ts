// Opens the database: real PostgreSQL through @prisma/adapter-pg when a URL is given, otherwise
// embedded PostgreSQL (PGlite) in a folder. One PrismaClient either way, plus the raw session
// and LISTEN that the migrator and the cross-instance event bridge need.
import { mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaClient } from "../generated/prisma/client.ts";
import { connectionError } from "./connection-errors.ts";
import { lockDataFolder } from "./pglite-lock.ts";
import type { SqlSession } from "./session.ts";

export type Backend = "postgres" | "pglite";

export interface Database {
  prisma: PrismaClient;
  backend: Backend;
  /** a raw session on one connection, released afterwards */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** LISTEN on a channel (PostgreSQL only: PGlite lives in one process, nobody else to hear) */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type DatabaseTarget = { url: string; poolSize?: number } | { pgliteDir: string };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return "url" in target ? openPostgres(target.url, target.poolSize ?? 20) : openPglite(target.pgliteDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  await probe(url);
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) });
  const listeners = new Set<pg.Client>();
  let closed = false;
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  };
  return {
    prisma,
    backend: "postgres",
    async withSession(fn) {
      const client = await connect();
      try {
        return await fn({
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
          exec: async (script) => void (await client.query(script)),
        });
      } finally {
        await client.end();
      }
    },
    async listen(channel, onPayload) {
      // One dedicated connection. If it drops (database restart, network), it is opened again
      // after a second, and again until it works: events from other instances resume, and the
      // slow poll covers the gap. A dropped connection never crashes the process.
      let stopped = false;
      let current: pg.Client | null = null;
      let retry: NodeJS.Timeout | undefined;
      const reopenSoon = () => {
        if (!stopped && !closed) retry = setTimeout(() => void open().catch(reopenSoon), 1000);
      };
      const open = async (): Promise<void> => {
        const client = new pg.Client({ connectionString: url });
        client.on("error", () => {});
        client.on("notification", (n) => n.channel === channel && onPayload(n.payload ?? ""));
        try {
          await client.connect();
          await client.query(`LISTEN "${channel}"`);
        } catch (e) {
          await client.end().catch(() => {});
          throw e;
        }
        if (stopped) return void (await client.end().catch(() => {}));
        client.on("end", () => {
          listeners.delete(client);
          if (current === client) current = null;
          reopenSoon();
        });
        current = client;
        listeners.add(client);
      };
      await open();
      return async () => {
        stopped = true;
        clearTimeout(retry);
        if (current) {
          listeners.delete(current);
          await current.end().catch(() => {});
        }
      };
    },
    async close() {
      closed = true;
      for (const c of listeners) await c.end().catch(() => {});
      await prisma.$disconnect();
    },
  };
}

/** One connection first, so a missing, unreachable or refusing database is one clear StartupError
 *  (what to do about it) instead of a driver error deep inside the first query. */
async function probe(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    throw connectionError(e, url);
  } finally {
    await client.end().catch(() => {});
  }
}

async function openPglite(dir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  const inMemory = dir.startsWith("memory://");
  // PGlite creates only the last folder of its path
  if (!inMemory) mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const unlock = inMemory ? () => {} : lockDataFolder(dir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dir);
  } catch (e) {
    unlock();
    throw e;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    backend: "pglite",
    withSession: (fn) =>
      fn({
        query: async (sql, params) => (await pglite.query(sql, params as unknown[])).rows as never,
        exec: async (script) => void (await pglite.exec(script)),
      }),
    async close() {
      try {
        await prisma.$disconnect();
        await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}
