// "The database cannot be reached right now" — as opposed to "this query is wrong". Prisma, its
// pg driver adapter and pg itself each say it their own way; this is the one place that knows
// them all, so the API can answer a retryable UNAVAILABLE instead of an INTERNAL error.

/** Prisma's codes for an unreachable server, a closed connection and a pool that timed out */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
/** Node's socket errors */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EPIPE", "EAI_AGAIN"]);
/** driver adapter error kinds (@prisma/driver-adapter-utils) */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TransactionAlreadyClosed"]);
/** SQLSTATE: connection exceptions (08…), the server shutting down or starting (57P01-57P03),
 *  too many connections (53300) */
const SQLSTATE = /^(08\d{3}|57P0[123]|53300)$/;
const MESSAGES = [
  /can't reach database server/i,
  /connection terminated/i,
  /connection (?:is )?closed/i,
  /server closed the connection/i,
  /timeout exceeded when trying to connect/i,
  /unable to start a transaction in the given time/i,
  /timed out fetching a new connection/i,
  /\bECONNREFUSED\b/,
  /the database system is (?:starting up|shutting down)/i,
];

/** true when `error` (or anything it wraps: cause, originalError, AggregateError) says the
 *  database is unreachable, closed the connection, or has no connection to give. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length) {
    const e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const { code, kind, name, message, cause, originalError, errors } = e as Record<string, unknown>;
    if (typeof code === "string" && (PRISMA_CODES.has(code) || SOCKET_CODES.has(code) || SQLSTATE.test(code))) return true;
    if (typeof kind === "string" && ADAPTER_KINDS.has(kind)) return true;
    if (kind === "postgres" && typeof code === "string" && SQLSTATE.test(code)) return true;
    if (name === "PrismaClientInitializationError") return true;
    if (typeof message === "string" && MESSAGES.some((m) => m.test(message))) return true;
    queue.push(cause, originalError, ...(Array.isArray(errors) ? errors : []));
  }
  return false;
}
