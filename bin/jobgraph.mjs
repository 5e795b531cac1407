#!/usr/bin/env node
// `jobgraph …` (package.json "bin"; `npx jobgraph` in a checkout): the command line runs from the
// TypeScript sources through tsx, like the server.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/program.ts");
process.exitCode = await runCli(process.argv.slice(2));
