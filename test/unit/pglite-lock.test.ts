// The PGlite folder lock on its own (the two-process case runs real services in startup.test.ts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { lockDataFolder } from "../../src/db/pglite-lock.ts";
import { StartupError } from "../../src/startup-error.ts";

const folder = () => path.join(mkdtempSync(path.join(os.tmpdir(), "jobgraph-lock-")), "pglite");

test("the lock holds our pid, refuses a second open in this process too, and goes on release", () => {
  const dir = folder();
  const release = lockDataFolder(dir);
  expect(readFileSync(`${dir}.lock`, "utf8").trim()).toBe(String(process.pid));
  expect(() => lockDataFolder(dir)).toThrow(StartupError);
  release();
  expect(existsSync(`${dir}.lock`)).toBe(false);
  lockDataFolder(dir)();
});

test("stale locks are taken over: a dead pid, our own pid from an earlier life, garbage", () => {
  const dead = spawnSync("true").pid!; // exited and reaped
  for (const content of [`${dead}\n`, `${process.pid}\n`, "not a pid"]) {
    const dir = folder();
    writeFileSync(`${dir}.lock`, content);
    const release = lockDataFolder(dir);
    expect(readFileSync(`${dir}.lock`, "utf8").trim()).toBe(String(process.pid));
    release();
  }
});

test("a lock of a live process is respected and left alone", () => {
  const dir = folder();
  writeFileSync(`${dir}.lock`, "1\n"); // pid 1 always runs
  expect(() => lockDataFolder(dir)).toThrow(/in use by process 1 \(lock file .*pglite\.lock\)/);
  expect(readFileSync(`${dir}.lock`, "utf8")).toBe("1\n");
});
