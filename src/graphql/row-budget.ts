// How many rows the connections of one operation have asked for so far, against JOBGRAPH_MAX_ROWS.
// Counted per context (one per query or mutation). A subscription's events all share one
// context, which a total would soon exhaust; subscriptions are exempt (src/server/limits.ts) and
// bounded per event by the page size, depth and cost limits instead.
import { validation } from "../errors.ts";

const asked = new WeakMap<object, number>();
const exempt = new WeakSet<object>();

/** adds `rows` to the operation's count; VALIDATION once it would pass `max` */
export function spendRows(ctx: object, rows: number, max: number): void {
  if (exempt.has(ctx)) return;
  const total = (asked.get(ctx) ?? 0) + rows;
  if (total > max) throw validation(undefined, `this request asks for more than ${max} rows in all; ask for smaller pages`);
  asked.set(ctx, total);
}

export function exemptFromRowBudget(ctx: object): void {
  exempt.add(ctx);
}
