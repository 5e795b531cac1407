// The request limits come from the environment like everything else: defaults, overrides, and a
// one-line refusal of a bad value naming the variable.
import { expect, test } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

test("defaults, and each variable sets its limit", () => {
  expect(loadConfig({}).limits).toEqual({
    maxDepth: 15,
    maxAliases: 30,
    maxTokens: 2000,
    maxCost: 150_000,
    maxDirectives: 50,
    maxPageSize: 500,
    maxRows: 50_000,
    maxBodyBytes: 1024 * 1024,
    json: { maxBytes: 256 * 1024, maxDepth: 64 },
  });
  const env = {
    JOBGRAPH_MAX_DEPTH: "8",
    JOBGRAPH_MAX_ALIASES: "5",
    JOBGRAPH_MAX_TOKENS: "900",
    JOBGRAPH_MAX_COST: "1000",
    JOBGRAPH_MAX_DIRECTIVES: "3",
    JOBGRAPH_MAX_PAGE_SIZE: "50",
    JOBGRAPH_MAX_ROWS: "400",
    JOBGRAPH_MAX_BODY_BYTES: "65536",
    JOBGRAPH_MAX_JSON_BYTES: "4096",
    JOBGRAPH_MAX_JSON_DEPTH: "10",
  };
  expect(loadConfig(env).limits).toEqual({
    maxDepth: 8,
    maxAliases: 5,
    maxTokens: 900,
    maxCost: 1000,
    maxDirectives: 3,
    maxPageSize: 50,
    maxRows: 400,
    maxBodyBytes: 65536,
    json: { maxBytes: 4096, maxDepth: 10 },
  });
});

test("a bad value stops start-up naming the variable", () => {
  for (const [variable, value] of [
    ["JOBGRAPH_MAX_DEPTH", "0"],
    ["JOBGRAPH_MAX_PAGE_SIZE", "lots"],
    ["JOBGRAPH_MAX_JSON_DEPTH", "5000"], // above the JSON scalar's ceiling
    ["JOBGRAPH_MAX_BODY_BYTES", "10"],
  ]) {
    expect(() => loadConfig({ [variable!]: value! }), variable).toThrow(ConfigError);
    expect(() => loadConfig({ [variable!]: value! })).toThrow(new RegExp(`^invalid ${variable}`));
  }
});
