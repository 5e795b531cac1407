// Why PostgreSQL cannot be used, as one line that tells the operator what to do. Start-up and
// `migrate` probe the connection once and throw this instead of a driver stack trace.
import { parse } from "pg-connection-string";
import { StartupError } from "../startup-error.ts";

export function connectionError(err: unknown, url: string): StartupError {
  const { host, port, database, user } = target(url);
  const where = `PostgreSQL at ${host}:${port}`;
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  let text: string;
  switch (code) {
    case "3D000": // invalid_catalog_name
      text =
        `database "${database}" does not exist on ${host}:${port}; create it with ` +
        `\`createdb -h ${host} -p ${port}${user ? ` -U ${user}` : ""} ${database}\` or, in psql, \`CREATE DATABASE "${database}";\``;
      break;
    case "ECONNREFUSED":
      text = `cannot reach ${where} (connection refused): is it running, and are DATABASE_URL's host and port right?`;
      break;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      text = `cannot reach ${where}: host "${host}" is unknown; check DATABASE_URL`;
      break;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      text = `cannot reach ${where} (${code}): check DATABASE_URL and the network`;
      break;
    case "28P01": // invalid_password
    case "28000": // invalid_authorization_specification (pg_hba.conf)
      text = `${where} refused user "${user ?? ""}": ${message}; check DATABASE_URL's user and password`;
      break;
    case "57P03": // cannot_connect_now
      text = `${where} is starting up or shutting down; try again in a moment`;
      break;
    default:
      text = /timeout/i.test(message) ? `cannot reach ${where}: no answer in time; check DATABASE_URL and the network` : `cannot use ${where}: ${message}`;
  }
  return new StartupError(text, { cause: err });
}

function target(url: string) {
  try {
    const c = parse(url);
    return { host: c.host || "localhost", port: c.port || "5432", database: c.database || c.user || "postgres", user: c.user };
  } catch {
    return { host: "?", port: "?", database: "?", user: undefined };
  }
}
