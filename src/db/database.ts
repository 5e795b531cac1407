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

/**
 * One SQL statement without Prisma's query engine, for the engine's hot path (claim, finish,
 * progress, heart-beat), where Prisma's per-statement cost dominated. On PostgreSQL it runs on
 * the same pool as Prisma, as a named prepared statement (parsed and planned once per
 * connection); on PGlite on the same single connection (PGlite queues it behind any open
 * transaction). Rows come back with pg's usual types (timestamptz → Date, json → value).
 */
export interface Sql {
  query<Row = Record<string, unknown>>(statement: Statement, values: unknown[]): Promise<Row[]>;
}

/** a statement with a stable name: the name identifies the prepared statement on a connection */
export interface Statement {
  name: string;
  text: string;
}

export interface Database {
  prisma: PrismaClient;
  backend: Backend;
  sql: Sql;
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
  // one pool shared by Prisma and the hot path's own statements, so the pool size is the limit
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on("error", () => {}); // an idle connection dropped by the server: the pool replaces it
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
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
    sql: {
      async query<Row>(statement: Statement, values: unknown[]) {
        return (await pool.query({ name: statement.name, text: statement.text, values })).rows as Row[];
      },
    },
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
      await pool.end().catch(() => {});
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
  const prepared = new Set<string>();
  return {
    prisma,
    backend: "pglite",
    sql: {
      // PGlite has no named statements in its protocol API: PREPARE once (its one session keeps
      // it), then EXECUTE, so a large statement is not planned again on every call
      async query<Row>(statement: Statement, values: unknown[]) {
        if (!prepared.has(statement.name)) {
          await pglite.exec(`PREPARE ${statement.name} AS ${statement.text}`);
          prepared.add(statement.name);
        }
        // EXECUTE takes no bind parameters: its arguments are literals (typed by the PREPARE)
        const args = values.map(literal).join(", ");
        return (await pglite.query<Row>(`EXECUTE ${statement.name}${args ? `(${args})` : ""}`)).rows;
      },
    },
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

/** a value as an SQL literal (standard_conforming_strings: only quotes are doubled) */
function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "NULL";
  if (typeof v === "boolean") return v ? "true" : "false";
  const text = v instanceof Date ? v.toISOString() : typeof v === "string" ? v : JSON.stringify(v);
  return `'${text.replaceAll("'", "''")}'`;
}
