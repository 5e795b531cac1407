// Counts what the database driver returns to this process (both backends): the rows' size as
// JSON and the SQL sent. Tests use it to prove a query did not read a column nobody asked for.
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

export interface DriverWatch {
  /** bytes of the rows returned (as JSON) since the watch started */
  bytes(): number;
  statements(): string[];
  stop(): void;
}

type Query = (...args: any[]) => Promise<any>;

export function watchDriver(): DriverWatch {
  let bytes = 0;
  const sql: string[] = [];
  const record = (text: unknown, result: any) => {
    if (typeof text === "string") sql.push(text);
    else if (text && typeof (text as { text?: unknown }).text === "string") sql.push((text as { text: string }).text);
    for (const r of Array.isArray(result) ? result : [result]) if (r?.rows) bytes += Buffer.byteLength(JSON.stringify(r.rows));
  };
  const patch = (proto: { query: Query }) => {
    const original = proto.query;
    proto.query = function (this: unknown, ...args: any[]) {
      // pg's pool calls the callback form
      const callback = args.at(-1);
      if (typeof callback === "function") {
        args[args.length - 1] = (err: unknown, result: any) => (err || record(args[0], result), callback(err, result));
        return original.apply(this, args);
      }
      const out = original.apply(this, args);
      return out && typeof out.then === "function" ? out.then((result: any) => (record(args[0], result), result)) : out;
    } as Query;
    return () => void (proto.query = original);
  };
  const restore = [patch(pg.Client.prototype as unknown as { query: Query }), patch(PGlite.prototype as unknown as { query: Query })];
  return {
    bytes: () => bytes,
    statements: () => [...sql],
    stop: () => restore.forEach((r) => r()),
  };
}
