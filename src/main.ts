// CLI entry: start | migrate | print-schema | token. Whatever an operator can fix (a bad flag, an
// invalid variable, a missing, unreachable or locked database, a busy port) ends with one line on
// stderr and exit code 1, never a stack trace.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { tokenCommand } from "./auth/token-command.ts";
import { DEFAULT_TOKEN_LIFETIME } from "./auth/tokens.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { MigrationError } from "./db/migrator.ts";
import { StartupError } from "./startup-error.ts";
import { VERSION } from "./version.ts";

const program = new Command("jobgraph")
  .description("job scheduler and execution monitor with a GraphQL API; configured by environment variables (see README)")
  .version(VERSION)
  .showSuggestionAfterError()
  // commander's own errors (unknown option, missing --role…) in the same one-line form as ours
  .configureOutput({ outputError: (text, write) => write(`jobgraph: ${text.replace(/^error: /, "")}`) });

program
  .command("start")
  .description("run the service: GraphQL over HTTP and WebSocket on HOST:PORT, schedules, runner (the default)")
  .action(start);

program
  .command("migrate")
  .description("apply pending database migrations and exit (start-up does this too)")
  .action(async () => {
    const { databaseTarget, migrateDatabase } = await import("./app.ts");
    const { openDatabase } = await import("./db/database.ts");
    const db = await openDatabase(databaseTarget(loadConfig()));
    try {
      const report = await migrateDatabase(db);
      console.log(report.applied.length ? `applied: ${report.applied.join(", ")}` : "database is up to date");
    } finally {
      await db.close();
    }
  });

program
  .command("print-schema")
  .description("write the GraphQL schema to schema.graphql")
  .action(async () => {
    const { ROOT } = await import("./app.ts");
    const { printedSchema } = await import("./graphql/schema.ts");
    writeFileSync(path.join(ROOT, "schema.graphql"), printedSchema());
    console.log("wrote schema.graphql");
  });

program.addCommand(tokenCommand((line) => console.log(line)).copyInheritedSettings(program));

// no command at all means start, as `node src/main.ts` always did
const args = process.argv.slice(2);
try {
  await program.parseAsync(args.length ? args : ["start"], { from: "user" });
} catch (e) {
  fail(e);
}

function fail(e: unknown): never {
  if (e instanceof ConfigError || e instanceof MigrationError || e instanceof StartupError) {
    console.error(`jobgraph: ${e.message}`);
  } else {
    // a bug, not a mistake of the operator's: still one line, the stack only when asked for
    const debug = ["debug", "trace"].includes(process.env.LOG_LEVEL ?? "");
    console.error(debug && e instanceof Error ? e.stack : `jobgraph: unexpected error: ${e instanceof Error ? e.message : String(e)} (LOG_LEVEL=debug shows the stack)`);
  }
  process.exit(1);
}

async function start() {
  const { createApp } = await import("./app.ts");
  const { createLogger } = await import("./logging/logger.ts");
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const app = await createApp({ config, logger });
  const backend = app.db.backend === "pglite" ? `embedded PostgreSQL (PGlite) in ${path.join(config.dataDir, "pglite")}` : "PostgreSQL";
  logger.info({ url: app.http!.url, ws: app.http!.wsUrl, backend, instance: app.instanceId }, "jobgraph is listening");
  if (!config.jwtSecret) {
    const admin = await app.tokens.mint({ sub: "admin", role: "admin" }, DEFAULT_TOKEN_LIFETIME);
    // for people, not for log collectors: plain text on stderr
    console.error(
      [
        "",
        `  jobgraph is running on ${backend}`,
        `  Dashboard: ${new URL(app.http!.url).origin}/  (paste the admin token below)`,
        `  GraphiQL: ${app.http!.url}`,
        `  The JWT secret lives in ${path.join(config.dataDir, "jwt-secret")}${app.generatedSecret ? " (generated now)" : ""}.`,
        `  Admin token, valid ${DEFAULT_TOKEN_LIFETIME} (send as 'Authorization: Bearer <token>'):`,
        `  ${admin}`,
        "  Mint others with: npm run token -- --role viewer --sub alice [--expires 7d|never]",
        "",
      ].join("\n"),
    );
  }
  // last line of defence: a bug in a background loop is logged, it does not take the service down
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing running executions");
    await app.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
