// Counts the SQL statements this process sends, at the drivers themselves (pg's Client.query for
// PostgreSQL, PGlite's query/exec/transaction for the embedded database): nothing is changed, the
// text of each statement is only noted. For tests of "how much database work does X cost".
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

type Method = (...args: unknown[]) => unknown;

function ownerOf(proto: object, name: string): Record<string, Method> {
  let p: object | null = proto;
  while (p && !Object.prototype.hasOwnProperty.call(p, name)) p = Object.getPrototypeOf(p);
  if (!p) throw new Error(`no ${name} on the prototype chain`);
  return p as Record<string, Method>;
}

const text = (q: unknown): string =>
  typeof q === "string" ? q : typeof q === "object" && q !== null && "text" in q ? String((q as { text: unknown }).text) : typeof q === "function" ? "<transaction>" : String(q);

export interface StatementLog {
  /** statements sent since the start (or the last reset) */
  all(): string[];
  matching(pattern: RegExp): string[];
  reset(): void;
  restore(): void;
}

export function recordStatements(): StatementLog {
  let seen: string[] = [];
  const restores: (() => void)[] = [];
  const wrap = (owner: Record<string, Method>, name: string) => {
    const original = owner[name]!;
    owner[name] = function (this: unknown, ...args: unknown[]) {
      seen.push(text(args[0]));
      return original.apply(this, args);
    };
    restores.push(() => (owner[name] = original));
  };
  wrap(ownerOf(pg.Client.prototype, "query"), "query");
  for (const name of ["query", "exec", "transaction"]) wrap(ownerOf(PGlite.prototype, name), name);
  return {
    all: () => [...seen],
    matching: (pattern) => seen.filter((s) => pattern.test(s)),
    reset: () => void (seen = []),
    restore: () => restores.splice(0).reverse().forEach((r) => r()),
  };
}
