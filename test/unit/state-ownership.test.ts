// One door for every execution state change: outside src/executions/state no code writes an
// execution row's status. The test reads the source, finds every write to "Execution" (Prisma's
// create/update/upsert calls and raw INSERT/UPDATE statements) and fails on one that is not
// known here — so a new write is either made through the state module, or added below with the
// reason it changes no status.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");
const STATE = path.join(SRC, "executions/state");
const GENERATED = path.join(SRC, "generated");

/** the .ts files below `dir`, but for the folders in `skip` */
function sources(dir: string, skip: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (skip.includes(file)) return [];
    if (statSync(file).isDirectory()) return sources(file, skip);
    return name.endsWith(".ts") ? [file] : [];
  });
}

/** the text of a call from its opening parenthesis to the matching one */
function callText(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

interface Write {
  file: string;
  line: number;
  text: string;
}

/** Prisma writes to the execution model (any client or transaction variable), and raw SQL that
 *  inserts into or updates "Execution" (a DELETE removes a row; it changes no status) */
function writesToExecutions(dir: string, skip: readonly string[]): Write[] {
  const found: Write[] = [];
  const prismaWrite = /\.execution\.(create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert)\s*\(/g;
  const rawWrite = /(INSERT\s+INTO|UPDATE)\s+"Execution"(?=[\s(])/g;
  for (const file of sources(dir, skip)) {
    const text = readFileSync(file, "utf8");
    const lineOf = (i: number) => text.slice(0, i).split("\n").length;
    for (const m of text.matchAll(prismaWrite)) {
      found.push({ file: path.relative(SRC, file), line: lineOf(m.index), text: callText(text, m.index + m[0].length - 1) });
    }
    for (const m of text.matchAll(rawWrite)) {
      // the statement, up to its closing backquote
      const end = text.indexOf("`", m.index);
      found.push({ file: path.relative(SRC, file), line: lineOf(m.index), text: text.slice(m.index, end < 0 ? undefined : end) });
    }
  }
  return found;
}

/** writes outside the state module that are known not to touch status, and why */
const KNOWN: { file: string; contains: string; why: string }[] = [
  { file: "workflows/engine.ts", contains: "data: progressData(plan.progress)", why: "a running workflow's progress fields; its status goes through state.finish" },
];

describe("the state module is the only writer of Execution.status", () => {
  const writes = writesToExecutions(SRC, [STATE, GENERATED]);

  test("every write to executions outside src/executions/state is a known one", () => {
    const unknown = writes.filter((w) => !KNOWN.some((k) => k.file === w.file && w.text.includes(k.contains)));
    expect(unknown.map((w) => `${w.file}:${w.line} ${w.text.slice(0, 120)}`)).toEqual([]);
  });

  test("none of them names status", () => {
    for (const w of writes) expect(w.text, `${w.file}:${w.line}`).not.toMatch(/\bstatus\b/);
    // the known progress write: its data comes from progressData, which names no status either
    const engine = readFileSync(path.join(SRC, "workflows/engine.ts"), "utf8");
    const body = /function progressData\([^)]*\)\s*\{([\s\S]*?)\n\}/.exec(engine)?.[1];
    expect(body).toBeDefined();
    expect(body).not.toMatch(/\bstatus\b/);
  });

  test("the scan finds writes where they are (it is not blind)", () => {
    // the state module, skipped above, scanned the same way: its status writes are found (an
    // insert of a PENDING run names no status, the default; outside the state module any insert
    // is caught by the first test, status or not)
    const own = writesToExecutions(STATE, []);
    for (const file of ["executions/state/claim.ts", "executions/state/finish.ts", "executions/state/fires.ts"]) {
      expect(own.some((w) => w.file === file && /\bstatus\b/.test(w.text)), file).toBe(true);
    }
    expect(writes.some((w) => w.file === "workflows/engine.ts")).toBe(true);
  });
});
