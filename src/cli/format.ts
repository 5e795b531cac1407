// Output for people (aligned tables, short times, a one-line progress bar) and the small parsers
// of the command line's arguments. Nothing here talks to the server.
import { ApiError } from "./client.ts";

/** A usage mistake: reported like an API error, one line with a code. */
export const usage = (message: string) => new ApiError("USAGE", message);

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === "" ? "-" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(headers), ...cells.map(line)].join("\n");
}

export const truncate = (s: string | null | undefined, max: number) => (!s ? s : s.length > max ? s.slice(0, max - 1) + "…" : s);

/** 2026-12-01 08:00:00Z: compact, sortable, unambiguous */
export const time = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "Z") : null);

export function duration(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3600_000)} h ${Math.round((ms % 3600_000) / 60_000)} min`;
}

/** `[##########··········]  50%  message (5/10)` */
export function progressLine(p: { progress?: number | null; progressMessage?: string | null; processedItems?: number | null; totalItems?: number | null; status: string }, width = 20): string {
  const fraction = Math.min(1, Math.max(0, p.progress ?? 0));
  const filled = Math.round(fraction * width);
  const items = p.totalItems ? ` (${p.processedItems ?? 0}/${p.totalItems})` : "";
  const pct = `${Math.round(fraction * 100)}%`.padStart(4);
  return `[${"#".repeat(filled)}${"·".repeat(width - filled)}] ${pct}  ${p.status}${p.progressMessage ? `  ${p.progressMessage}` : ""}${items}`;
}

// ── ids ──────────────────────────────────────────────────────────────────────────────────────
// The API's ids are Relay global ids (base64 of "Execution:42"); people read and type the number.

export function shortId(globalId: string): string {
  const decoded = Buffer.from(globalId, "base64").toString("utf8");
  const m = /^[A-Za-z]+:(\d+)$/.exec(decoded);
  return m ? m[1]! : globalId;
}

/** `42` or a global id → the global id of that execution */
export function executionId(input: string): string {
  if (/^\d+$/.test(input)) return Buffer.from(`Execution:${input}`).toString("base64");
  return input;
}

// ── arguments ────────────────────────────────────────────────────────────────────────────────

/** `--param k=v` values: JSON when they parse (numbers, booleans, objects), text otherwise */
export function parseParams(pairs: string[] | undefined, json: string | undefined): Record<string, unknown> | null {
  let params: Record<string, unknown> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw usage(`--params-json is not JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw usage("--params-json must be a JSON object");
    params = parsed as Record<string, unknown>;
  }
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw usage(`--param takes key=value, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain text
    }
    params[pair.slice(0, eq)] = value;
  }
  return Object.keys(params).length ? params : null;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `90s`, `30m`, `24h`, `7d`, `2w` before now, or a date/time */
export function parseSince(value: string, now = Date.now()): Date {
  const m = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (m) return new Date(now - Number(m[1]) * UNITS[m[2]!]!);
  return parseTime(value, "--since");
}

/** an ISO date-time, or a date (YYYY-MM-DD, midnight UTC) */
export function parseTime(value: string, option: string): Date {
  const v = value.trim();
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw usage(`${option} must be a date (2026-11-24), a date-time (2026-11-24T08:00:00Z)${option === "--since" ? " or a span (24h, 7d)" : ""}`);
  return d;
}

/** repeatable options (`--param a=1 --param b=2`) */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
