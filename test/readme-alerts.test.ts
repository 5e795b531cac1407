// The README's "Trading days and alerts" example is run as written (the receiver's address
// swapped in), and its signature-verification snippet is imported and run on a real request.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROOT } from "../src/app.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { scriptFolder } from "./helpers/scripts.ts";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Trading days and alerts"), readme.indexOf("\n## ", readme.indexOf("## Trading days and alerts") + 5));
const blocks = (lang: string) => [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);

let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

test("the Trading days and alerts example runs as written, and its verification snippet accepts the signature", async () => {
  const ops = blocks("graphql");
  expect(ops).toHaveLength(5);
  const results = [];
  for (const op of ops) results.push(await t.ok(op.replace("http://127.0.0.1:9000/hooks/jobgraph", receiver.url)));
  expect(results[1].setCalendarDays).toEqual({ coverageFrom: "2027-01-01", coverageUntil: "2027-01-15", holiday: false, nextTradingDay: "2027-01-04" });
  expect(results[2].createTask).toMatchObject({ schedule: { calendar: "XSHG", days: "TRADING", offsetDays: 0 }, deadlineSeconds: 3600 });
  expect(results[3].createAlertChannel).toEqual({ id: "QWxlcnRDaGFubmVsOjE=", hasSecret: true });
  expect(results[4].testAlertChannel).toEqual({ status: "DELIVERED", attempts: 1, responseStatus: 200 });

  const [snippet] = blocks("js");
  const dir = scriptFolder("jobgraph-readme-");
  try {
    const { verifyJobgraphSignature } = await import(pathToFileURL(dir.write("verify.mjs", snippet!)).href);
    const [req] = receiver.requests;
    expect(verifyJobgraphSignature("change-me-to-a-long-random-string", req!.headers, req!.body)).toBe(true);
    expect(verifyJobgraphSignature("change-me-to-a-long-random-string", req!.headers, `${req!.body} `)).toBe(false);
    expect(verifyJobgraphSignature("another-secret", req!.headers, req!.body)).toBe(false);
  } finally {
    dir.remove();
  }
});
