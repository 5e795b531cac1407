// Alert message formats, signatures, channel rules and the retry schedule: pure functions.
import { createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";
import { bodyError, buildRequest, signature, type AlertMessage } from "../../src/alerts/formats.ts";
import { channelWants } from "../../src/alerts/rules.ts";
import { retryDelay } from "../../src/alerts/sender.ts";

const now = new Date("2027-01-04T08:00:00.000Z");
const message: AlertMessage = {
  deliveryId: 42,
  event: "FAILED",
  count: 3,
  createdAt: now,
  publicUrl: "https://jobs.example.com",
  payload: { taskName: "sync_daily_bars", taskId: 7, executionId: 99, status: "FAILED", error: "exit code 1: timeout talking to upstream", attempt: 3, scheduledAt: "2027-01-04T07:30:00.000Z", finishedAt: "2027-01-04T07:45:00.000Z" },
};

describe("formats", () => {
  test("every kind names task, execution, status, error, attempt, times, count and the link", () => {
    for (const kind of ["WEBHOOK", "SLACK", "FEISHU", "DINGTALK", "WECOM"] as const) {
      const { body, headers } = buildRequest(kind, "https://hooks.example.com/x", null, message, now);
      for (const part of ["sync_daily_bars", "99", "FAILED", "timeout talking to upstream", "attempt 3", "2027-01-04T07:30:00.000Z", "×3", "https://jobs.example.com/executions/RXhlY3V0aW9uOjk5"]) {
        expect(body, `${kind}: ${part}`).toContain(part);
      }
      expect(headers["x-jobgraph-delivery"]).toBe("42");
      expect(headers["x-jobgraph-signature"]).toBeUndefined();
    }
  });

  test("the incoming-webhook shapes of the chat services", () => {
    const json = (kind: "SLACK" | "FEISHU" | "DINGTALK" | "WECOM") => JSON.parse(buildRequest(kind, "https://h.example/x", null, message, now).body);
    expect(Object.keys(json("SLACK"))).toEqual(["text"]);
    expect(json("FEISHU")).toMatchObject({ msg_type: "text", content: { text: expect.any(String) } });
    expect(json("DINGTALK")).toMatchObject({ msgtype: "markdown", markdown: { title: expect.stringContaining("sync_daily_bars"), text: expect.any(String) } });
    expect(json("WECOM")).toMatchObject({ msgtype: "markdown", markdown: { content: expect.any(String) } });
  });

  test("with a secret: X-Jobgraph-Signature over timestamp and body, plus DingTalk's and Feishu's own signatures", () => {
    const secret = "SECabcdef0123456789";
    const webhook = buildRequest("WEBHOOK", "https://h.example/x", secret, message, now);
    const ts = String(now.getTime() / 1000);
    expect(webhook.headers["x-jobgraph-timestamp"]).toBe(ts);
    expect(webhook.headers["x-jobgraph-signature"]).toBe(`sha256=${createHmac("sha256", secret).update(`${ts}.${webhook.body}`).digest("hex")}`);
    expect(signature(secret, ts, webhook.body)).toBe(webhook.headers["x-jobgraph-signature"]);

    const ding = buildRequest("DINGTALK", "https://oapi.dingtalk.com/robot/send?access_token=t", secret, message, now);
    const url = new URL(ding.url);
    expect(url.searchParams.get("access_token")).toBe("t");
    expect(url.searchParams.get("timestamp")).toBe(String(now.getTime()));
    expect(url.searchParams.get("sign")).toBe(createHmac("sha256", secret).update(`${now.getTime()}\n${secret}`).digest("base64"));

    const feishu = JSON.parse(buildRequest("FEISHU", "https://open.feishu.cn/open-apis/bot/v2/hook/x", secret, message, now).body);
    expect(feishu.timestamp).toBe(ts);
    expect(feishu.sign).toBe(createHmac("sha256", `${ts}\n${secret}`).update("").digest("base64"));
  });

  test("chat services that answer 200 with an error code are failures", () => {
    expect(bodyError("DINGTALK", '{"errcode":310000,"errmsg":"sign not match"}')).toMatch(/310000.*sign not match/);
    expect(bodyError("DINGTALK", '{"errcode":0,"errmsg":"ok"}')).toBeNull();
    expect(bodyError("WECOM", '{"errcode":93000,"errmsg":"invalid webhook url"}')).toMatch(/93000/);
    expect(bodyError("FEISHU", '{"code":19021,"msg":"sign match fail"}')).toMatch(/19021/);
    expect(bodyError("FEISHU", '{"StatusCode":0,"StatusMessage":"success"}')).toBeNull();
    expect(bodyError("SLACK", "ok")).toBeNull();
  });
});

describe("channel rules and retries", () => {
  const base = { enabled: true, events: ["FAILED", "DEADLINE_MISSED"] as ("FAILED" | "DEADLINE_MISSED")[], tasks: [] as string[], tags: [] as string[] };
  const task = { name: "sync_daily_bars", tags: ["market-data"] };

  test("events, enabled, and task or tag filters", () => {
    expect(channelWants(base, "FAILED", [task])).toBe(true);
    expect(channelWants(base, "TIMED_OUT", [task])).toBe(false);
    expect(channelWants({ ...base, enabled: false }, "FAILED", [task])).toBe(false);
    expect(channelWants({ ...base, tasks: ["other"] }, "FAILED", [task])).toBe(false);
    expect(channelWants({ ...base, tasks: ["sync_daily_bars"] }, "FAILED", [task])).toBe(true);
    expect(channelWants({ ...base, tags: ["market-data"] }, "FAILED", [task])).toBe(true);
    expect(channelWants({ ...base, tags: ["billing"] }, "FAILED", [task])).toBe(false);
    // a filtered channel and an alert about no task in particular
    expect(channelWants({ ...base, tags: ["market-data"] }, "FAILED", [])).toBe(false);
    expect(channelWants(base, "TEST", [task])).toBe(false);
  });

  test("backoff doubles, at most an hour apart", () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(10_000, n))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelay(10_000, 20)).toBe(3600_000);
  });
});
