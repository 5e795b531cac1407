// The typed operations committed under each codegen.ts target (the dashboard's web/src/gql/, the
// command line's src/cli/gql/) are what graphql-codegen makes from the committed schema.graphql
// and the clients' documents today: a stale file fails here.
// Fix: `npm run codegen` (after `npm run schema:print` when the schema changed).
import { readFileSync } from "node:fs";
import path from "node:path";
import { generate } from "@graphql-codegen/cli";
import type { Types } from "@graphql-codegen/plugin-helpers";
import { expect, test } from "vitest";
import config from "../../codegen.ts";
import { ROOT } from "../../src/app.ts";

test("generated client types are up to date with schema.graphql and the operations", async () => {
  const outputs: Types.FileOutput[] = await generate({ ...config, cwd: ROOT, silent: true, errorsOnly: true }, false);
  for (const target of ["web/src/gql", "src/cli/gql"]) {
    expect(outputs.filter((o) => path.resolve(ROOT, o.filename).startsWith(path.join(ROOT, target))).length, target).toBeGreaterThanOrEqual(2);
  }
  for (const o of outputs) {
    const committed = readFileSync(path.resolve(ROOT, o.filename), "utf8");
    expect(committed, `${o.filename} is stale: run npm run codegen`).toBe(o.content);
  }
}, 60_000);
