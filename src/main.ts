// CLI entry: start | migrate | print-schema | token --role R --sub S
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createApp, migrateDatabase, databaseTarget, ROOT } from "./app.ts";
import { isRole } from "./auth/roles.ts";
import { createTokenService, resolveSecret } from "./auth/tokens.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { MigrationError } from "./db/migrator.ts";
import { printedSchema } from "./graphql/schema.ts";
import { createLogger } from "./logging/logger.ts";

const [command = "start", ...rest] = process.argv.slice(2);

try {
  switch (command) {
    case "print-schema": {
      writeFileSync(path.join(ROOT, "schema.graphql"), printedSchema());
      console.log("wrote schema.graphql");
      break;
    }
    case "token": {
      const config = loadConfig();
      const { values } = parseArgs({ args: rest, options: { role: { type: "string", default: "viewer" }, sub: { type: "string", default: "cli" }, expires: { type: "string" } } });
      if (!isRole(values.role)) throw new Error("--role must be viewer, operator or admin");
      const { secret } = resolveSecret(config.jwtSecret, config.dataDir);
      console.log(await createTokenService(secret).mint({ sub: values.sub!, role: values.role }, values.expires));
      break;
    }
    case "migrate": {
      const config = loadConfig();
      const db = await openDatabase(databaseTarget(config));
      try {
        const report = await migrateDatabase(db);
        console.log(report.applied.length ? `applied: ${report.applied.join(", ")}` : "database is up to date");
      } finally {
        await db.close();
      }
      break;
    }
    case "start":
      await start();
      break;
    default:
      throw new Error(`unknown command "${command}" (start | migrate | print-schema | token)`);
  }
} catch (e) {
  if (e instanceof ConfigError || e instanceof MigrationError) {
    console.error(`jobgraph: ${e.message}`);
    process.exit(1);
  }
  throw e;
}

async function start() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const app = await createApp({ config, logger });
  const backend = app.db.backend === "pglite" ? `embedded PostgreSQL (PGlite) in ${path.join(config.dataDir, "pglite")}` : "PostgreSQL";
  logger.info({ url: app.http!.url, ws: app.http!.wsUrl, backend, instance: app.instanceId }, "jobgraph is listening");
  if (!config.jwtSecret) {
    const admin = await app.tokens.mint({ sub: "admin", role: "admin" });
    // for people, not for log collectors: plain text on stderr
    console.error(
      [
        "",
        `  jobgraph is running on ${backend}`,
        `  Dashboard: ${new URL(app.http!.url).origin}/  (paste the admin token below)`,
        `  GraphiQL: ${app.http!.url}`,
        `  The JWT secret lives in ${path.join(config.dataDir, "jwt-secret")}${app.generatedSecret ? " (generated now)" : ""}.`,
        "  Admin token (send as 'Authorization: Bearer <token>'):",
        `  ${admin}`,
        "  Mint others with: npm run token -- --role viewer --sub alice",
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
