// What an alert looks like on the wire, per channel kind, and how it is signed.
// - WEBHOOK: a generic JSON document (below), for receivers of one's own.
// - SLACK: incoming webhook `{ text }` (mrkdwn).
// - FEISHU (Lark) custom bot: `{ msg_type: "text", content: { text } }`; with a secret also the
//   bot's own signature (`timestamp`, `sign` = base64 HMAC-SHA256 keyed by "<timestamp>\n<secret>"
//   over nothing), so a bot with signature verification accepts it.
// - DINGTALK custom robot: `{ msgtype: "markdown", markdown: { title, text } }`; with a secret the
//   robot's 加签 (`&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "<ms>\n<secret>">`).
// - WECOM group robot: `{ msgtype: "markdown", markdown: { content } }`.
// Every request also carries X-Jobgraph-Delivery (idempotency: the same id on every retry) and,
// with a secret, X-Jobgraph-Timestamp + X-Jobgraph-Signature: sha256=<hex HMAC-SHA256 of
// "<timestamp>.<body>">, verifiable by any receiver (README: "Trading days and alerts").
import { createHmac } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { AlertChannelKind, AlertEvent } from "../generated/prisma/enums.ts";
import type { AlertPayload } from "./payload.ts";

export interface AlertMessage {
  deliveryId: number;
  event: AlertEvent;
  /** causes folded into this message (grouping) */
  count: number;
  createdAt: Date;
  payload: AlertPayload;
  /** JOBGRAPH_PUBLIC_URL */
  publicUrl?: string;
}

export interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const TITLES: Record<AlertEvent, string> = {
  FAILED: "failed (no retry left)",
  TIMED_OUT: "timed out (no retry left)",
  LEASE_LOST: "lost its worker (lease expired)",
  RECOVERED: "recovered: succeeded after a failure",
  MISSED_FIRE: "missed scheduled fire(s)",
  DEADLINE_MISSED: "missed its deadline",
  CALENDAR_GAP: "trading calendar has no data",
  TEST: "test message",
};

export function executionLink(m: AlertMessage): string | null {
  return m.publicUrl && m.payload.executionId ? `${m.publicUrl}/executions/${encodeGlobalID("Execution", m.payload.executionId)}` : null;
}

export function title(m: AlertMessage): string {
  const subject = m.payload.taskName ?? (m.payload.calendar ? `calendar ${m.payload.calendar}` : "jobgraph");
  return `[jobgraph] ${subject} ${TITLES[m.event]}${m.count > 1 ? ` (×${m.count})` : ""}`;
}

/** The lines of a message: what happened, to what, when, and where to look. */
export function lines(m: AlertMessage): string[] {
  const p = m.payload;
  const out: string[] = [];
  const facts = [
    p.executionId ? `execution ${p.executionId}` : null,
    p.status ? `status ${p.status}` : null,
    p.attempt ? `attempt ${p.attempt}` : null,
  ].filter(Boolean);
  if (facts.length) out.push(facts.join(" · "));
  if (p.error) out.push(`error: ${p.error.length > 1000 ? `${p.error.slice(0, 1000)}…` : p.error}`);
  if (p.message) out.push(p.message);
  switch (m.event) {
    case "MISSED_FIRE":
      out.push(`${p.missed ?? "?"} fire(s) missed from ${p.scheduledAt ?? "?"}; misfire policy ${p.policy ?? "?"} caught up ${p.caughtUp ?? 0}`);
      break;
    case "DEADLINE_MISSED":
      out.push(`the fire of ${p.scheduledAt ?? "?"} had not succeeded by ${p.deadlineAt ?? "?"} (deadline ${p.deadlineSeconds ?? "?"} s)`);
      break;
    case "CALENDAR_GAP":
      out.push(
        p.date
          ? `calendar ${p.calendar} does not cover ${p.date}: that fire was skipped`
          : `calendar ${p.calendar} is covered only until ${p.coverageUntil}; tasks on it: ${(p.tasks ?? []).join(", ") || "none"}`,
      );
      break;
    default:
      break;
  }
  const times = [
    p.scheduledAt && m.event !== "MISSED_FIRE" && m.event !== "DEADLINE_MISSED" ? `scheduled ${p.scheduledAt}` : null,
    p.startedAt ? `started ${p.startedAt}` : null,
    p.finishedAt ? `finished ${p.finishedAt}` : null,
  ].filter(Boolean);
  if (times.length) out.push(times.join(" · "));
  if (m.count > 1) out.push(`${m.count} alerts of this kind for this task were grouped into this message`);
  const link = executionLink(m);
  if (link) out.push(link);
  return out;
}

const hmac = (key: string, data: string) => createHmac("sha256", key).update(data);

/** X-Jobgraph-Signature's value for a body sent at `timestamp` (seconds): what receivers recompute. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${hmac(secret, `${timestamp}.${body}`).digest("hex")}`;
}

/** The request for one attempt; `now` decides the timestamps signed. */
export function buildRequest(kind: AlertChannelKind, url: string, secret: string | null, m: AlertMessage, now: Date): WireRequest {
  const text = [title(m), ...lines(m)].join("\n");
  const seconds = String(Math.floor(now.getTime() / 1000));
  let target = url;
  let doc: Record<string, unknown>;
  switch (kind) {
    case "WEBHOOK":
      doc = {
        id: m.deliveryId,
        event: m.event,
        count: m.count,
        title: title(m),
        text,
        task: m.payload.taskName ? { id: m.payload.taskId ? encodeGlobalID("Task", m.payload.taskId) : null, name: m.payload.taskName } : null,
        execution: m.payload.executionId
          ? {
              id: encodeGlobalID("Execution", m.payload.executionId),
              status: m.payload.status ?? null,
              attempt: m.payload.attempt ?? null,
              error: m.payload.error ?? null,
              scheduledAt: m.payload.scheduledAt ?? null,
              startedAt: m.payload.startedAt ?? null,
              finishedAt: m.payload.finishedAt ?? null,
              url: executionLink(m),
            }
          : null,
        details: m.payload,
        createdAt: m.createdAt.toISOString(),
      };
      break;
    case "SLACK":
      doc = { text: [`*${title(m)}*`, ...lines(m)].join("\n") };
      break;
    case "FEISHU":
      doc = { msg_type: "text", content: { text } };
      if (secret) doc = { timestamp: seconds, sign: createHmac("sha256", `${seconds}\n${secret}`).update("").digest("base64"), ...doc };
      break;
    case "DINGTALK":
      doc = { msgtype: "markdown", markdown: { title: title(m), text: [`#### ${title(m)}`, ...lines(m)].join("\n\n") } };
      if (secret) {
        const ms = String(now.getTime());
        const sign = encodeURIComponent(hmac(secret, `${ms}\n${secret}`).digest("base64"));
        target = `${url}${url.includes("?") ? "&" : "?"}timestamp=${ms}&sign=${sign}`;
      }
      break;
    case "WECOM":
      doc = { msgtype: "markdown", markdown: { content: [`**${title(m)}**`, ...lines(m)].join("\n") } };
      break;
  }
  const body = JSON.stringify(doc);
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "user-agent": "jobgraph-alerts",
    "x-jobgraph-delivery": String(m.deliveryId),
    "x-jobgraph-event": m.event,
  };
  if (secret) {
    headers["x-jobgraph-timestamp"] = seconds;
    headers["x-jobgraph-signature"] = signature(secret, seconds, body);
  }
  return { url: target, headers, body };
}

/** Chat services answer 200 with an error code in the body; null when the answer is a success. */
export function bodyError(kind: AlertChannelKind, text: string): string | null {
  if (kind === "WEBHOOK" || kind === "SLACK") return null;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const code = kind === "FEISHU" ? (json.code ?? json.StatusCode) : json.errcode;
  if (code === undefined || code === 0) return null;
  return `${kind} answered ${JSON.stringify(code)}: ${String(json.msg ?? json.errmsg ?? json.StatusMessage ?? "").slice(0, 300)}`;
}
