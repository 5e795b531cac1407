// Statements of the state machine: written with named parameters (:now, :worker), numbered once
// at load time, so each is one fixed text (a prepared statement on PostgreSQL) run through the
// database's `sql` runner on both backends.
import type { Sql, Statement } from "../../db/database.ts";

export interface NamedStatement<P extends string, Row> extends Statement {
  params: readonly P[];
  /** phantom: the type of the rows it returns */
  readonly row?: Row;
}

/** every statement of the state machine by name (for EXPLAIN in benchmarks and tests) */
export const STATEMENTS = new Map<string, NamedStatement<string, unknown>>();

/** `:name` outside string literals becomes `$n` (`::type` casts are left alone). */
export function statement<P extends string, Row = never>(name: string, text: string): NamedStatement<P, Row> {
  const params: P[] = [];
  const numbered = text
    .split(/('(?:[^']|'')*')/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/(?<!:):([a-zA-Z_]\w*)/g, (_, p: P) => {
            let n = params.indexOf(p);
            if (n < 0) n = params.push(p) - 1;
            return `$${n + 1}`;
          }),
    )
    .join("");
  const s: NamedStatement<P, Row> = { name, text: numbered, params };
  STATEMENTS.set(name, s);
  return s;
}

export function run<P extends string, Row>(sql: Sql, s: NamedStatement<P, Row>, values: Record<P, unknown>): Promise<Row[]> {
  return sql.query<Row>(s, s.params.map((p) => values[p]));
}

/** ISO 8601 in UTC with milliseconds, as JavaScript's toISOString() writes it */
export const iso = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A statement that failed because the database could not be reached (not because of the data). */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | null;
  const code = err?.code ?? "";
  if (["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"].includes(code)) return true;
  return /Connection terminated|connection (?:error|refused|closed)|terminating connection|the database system is (?:starting up|shutting down)|Client has encountered a connection error/i.test(err?.message ?? "");
}
