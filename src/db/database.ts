// Opens the database: real PostgreSQL through @prisma/adapter-pg when a URL is given, otherwise
// embedded PostgreSQL (PGlite) in a folder. One PrismaClient either way, plus the raw session
// and LISTEN that the migrator and the cross-instance event bridge need.
import { mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaClient } from "../generated/prisma/client.ts";
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
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) });
  const listeners = new Set<pg.Client>();
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
      const client = await connect();
      listeners.add(client);
      // a dropped LISTEN connection must not crash the process; the slow poll covers the gap
      client.on("error", () => {});
      client.on("notification", (n) => n.channel === channel && onPayload(n.payload ?? ""));
      await client.query(`LISTEN "${channel}"`);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => {});
      };
    },
    async close() {
      for (const c of listeners) await c.end().catch(() => {});
      await prisma.$disconnect();
    },
  };
}

async function openPglite(dir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  // PGlite creates only the last folder of its path
  if (!dir.startsWith("memory://")) mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const pglite: PGlite = await PGlite.create(dir);
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
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
