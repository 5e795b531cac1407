// Validates task input at the edge and turns it into the row to write. Every rule that can be
// checked without the database lives here; errors are VALIDATION with the field at fault.
import { z } from "zod";
import { validation } from "../errors.ts";
import type { CalendarDays, MisfirePolicy, OverlapPolicy, TaskKind } from "../generated/prisma/enums.ts";
import { checkSchedule, ScheduleError, type Schedule } from "../scheduler/schedule.ts";
import { configSchemas } from "./config-schemas.ts";
import { checkDag, DagError } from "./dag.ts";
import { checkJson, DEFAULT_JSON_LIMITS, type JsonLimits } from "../validation/json-limits.ts";

export const TASK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** One tag: lower case, so that filters need no case rules; a task carries at most MAX_TAGS. */
export const TAG = /^[a-z0-9_.-]{1,50}$/;
export const MAX_TAGS = 20;

export interface ScheduleInput {
  cron?: string | null;
  intervalSeconds?: number | null;
  runAt?: Date | null;
  timezone?: string | null;
  /** a trading calendar's name: the schedule fires only on its `days` (TRADING by default) */
  calendar?: string | null;
  days?: CalendarDays | null;
  offsetDays?: number | null;
}

/** CreateTaskInput / UpdateTaskInput of API.md; on update every field is optional and
 *  `schedule: null` clears the schedule (undefined leaves it). */
export interface TaskInput {
  name?: string | null;
  displayName?: string | null;
  description?: string | null;
  kind?: TaskKind | null;
  config?: unknown;
  schedule?: ScheduleInput | null;
  enabled?: boolean | null;
  maxRetries?: number | null;
  retryDelaySeconds?: number | null;
  retryBackoff?: number | null;
  timeoutSeconds?: number | null;
  overlapPolicy?: OverlapPolicy | null;
  misfirePolicy?: MisfirePolicy | null;
  deadlineSeconds?: number | null;
  tags?: string[] | null;
}

/** The task's columns as validation sees them (a full task after applying an update). */
export interface TaskFields {
  name: string;
  displayName: string | null;
  description: string | null;
  kind: TaskKind;
  config: Record<string, unknown>;
  cron: string | null;
  intervalSeconds: number | null;
  runAt: Date | null;
  timezone: string;
  calendar: string | null;
  calendarDays: CalendarDays | null;
  offsetDays: number;
  enabled: boolean;
  maxRetries: number;
  retryDelaySeconds: number;
  retryBackoff: number;
  timeoutSeconds: number | null;
  overlapPolicy: OverlapPolicy;
  misfirePolicy: MisfirePolicy;
  deadlineSeconds: number | null;
  tags: string[];
}

export const DEFAULTS = {
  enabled: true,
  maxRetries: 0,
  retryDelaySeconds: 60,
  retryBackoff: 1,
  timeoutSeconds: null,
  overlapPolicy: "SKIP",
  misfirePolicy: "RUN_ONCE",
  timezone: "UTC",
} as const;

const LIMITS = {
  maxRetries: [0, 100],
  retryDelaySeconds: [0, 7 * 24 * 3600],
  timeoutSeconds: [1, 7 * 24 * 3600],
  deadlineSeconds: [1, 7 * 24 * 3600],
  offsetDays: [-20, 20],
} as const;

function required<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw validation(`input.${field}`, `${field} is required`);
  return value;
}

function intInRange(value: number, field: keyof typeof LIMITS, at = `input.${field}`): number {
  const [min, max] = LIMITS[field];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw validation(at, `${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function text(value: string | null, field: string, max: number): string | null {
  if (value !== null && value.length > max) throw validation(`input.${field}`, `${field} is longer than ${max} characters`);
  return value;
}

/** Merges `input` over `current` (null for a new task) and checks the result. */
export function resolveTaskFields(
  input: TaskInput,
  current: TaskFields | null,
  now: Date,
  handlerNames: string[],
  jsonLimits: JsonLimits = DEFAULT_JSON_LIMITS,
): TaskFields {
  const pick = <K extends keyof TaskInput & keyof TaskFields>(key: K, fallback: TaskFields[K]): TaskFields[K] => {
    const v = input[key];
    if (v === undefined) return current ? current[key] : fallback;
    if (v === null && current === null) return fallback; // null on create = default
    return v as TaskFields[K];
  };

  const name = required(input.name ?? current?.name, "name");
  if (!TASK_NAME.test(name)) throw validation("input.name", "name must be 1-100 of [A-Za-z0-9_.-]");
  if (input.kind === null) throw validation("input.kind", "kind cannot be null");
  const kind = required(input.kind ?? current?.kind, "kind");
  if (input.config === null) throw validation("input.config", "config cannot be null");
  // changing the kind without a new config cannot be right: the old config is for the old kind
  if (current && input.kind && input.kind !== current.kind && input.config === undefined) {
    throw validation("input.config", "changing kind needs a config for the new kind");
  }
  // bounded before zod walks it (a config nested 5,000 deep must not reach a recursive parser)
  if (input.config !== undefined) checkJson(input.config, "input.config", jsonLimits);
  const config = checkConfig(kind, input.config === undefined ? current?.config : input.config, handlerNames);

  const schedule = resolveSchedule(input, current, now);

  const fields: TaskFields = {
    name,
    displayName: text(pick("displayName", null), "displayName", 200),
    description: text(pick("description", null), "description", 5000),
    kind,
    config,
    ...schedule,
    enabled: pick("enabled", DEFAULTS.enabled) ?? DEFAULTS.enabled,
    maxRetries: intInRange(pick("maxRetries", DEFAULTS.maxRetries) ?? DEFAULTS.maxRetries, "maxRetries"),
    retryDelaySeconds: intInRange(pick("retryDelaySeconds", DEFAULTS.retryDelaySeconds) ?? DEFAULTS.retryDelaySeconds, "retryDelaySeconds"),
    retryBackoff: pick("retryBackoff", DEFAULTS.retryBackoff) ?? DEFAULTS.retryBackoff,
    timeoutSeconds: pick("timeoutSeconds", DEFAULTS.timeoutSeconds),
    overlapPolicy: pick("overlapPolicy", DEFAULTS.overlapPolicy) ?? DEFAULTS.overlapPolicy,
    misfirePolicy: pick("misfirePolicy", DEFAULTS.misfirePolicy) ?? DEFAULTS.misfirePolicy,
    deadlineSeconds: pick("deadlineSeconds", null),
    tags: checkTags(pick("tags", []) ?? [], "input.tags"),
  };
  if (!Number.isFinite(fields.retryBackoff) || fields.retryBackoff < 1 || fields.retryBackoff > 10) {
    throw validation("input.retryBackoff", "retryBackoff must be a number from 1 to 10");
  }
  if (fields.timeoutSeconds !== null) intInRange(fields.timeoutSeconds, "timeoutSeconds");
  if (fields.deadlineSeconds !== null) intInRange(fields.deadlineSeconds, "deadlineSeconds");
  return fields;
}

/** A list of tags as stored (and as filters take them): each valid, repeats dropped, at most MAX_TAGS. */
export function checkTags(tags: readonly string[], field: string): string[] {
  const bad = tags.find((t) => !TAG.test(t));
  if (bad !== undefined) throw validation(field, `tag "${bad}" must be 1-50 of [a-z0-9_.-] (lower case)`);
  const unique = [...new Set(tags)];
  if (unique.length > MAX_TAGS) throw validation(field, `at most ${MAX_TAGS} tags (got ${unique.length})`);
  return unique;
}

type ScheduleFields = Pick<TaskFields, "cron" | "intervalSeconds" | "runAt" | "timezone" | "calendar" | "calendarDays" | "offsetDays">;
const NO_SCHEDULE: ScheduleFields = { cron: null, intervalSeconds: null, runAt: null, timezone: DEFAULTS.timezone, calendar: null, calendarDays: null, offsetDays: 0 };

function resolveSchedule(input: TaskInput, current: TaskFields | null, now: Date): ScheduleFields {
  if (input.schedule === undefined) {
    if (!current) return NO_SCHEDULE;
    const { cron, intervalSeconds, runAt, timezone, calendar, calendarDays, offsetDays } = current;
    return { cron, intervalSeconds, runAt, timezone, calendar, calendarDays, offsetDays };
  }
  if (input.schedule === null) return NO_SCHEDULE;
  const s: Schedule = {
    cron: input.schedule.cron ?? null,
    intervalSeconds: input.schedule.intervalSeconds ?? null,
    runAt: input.schedule.runAt ?? null,
    timezone: input.schedule.timezone ?? DEFAULTS.timezone,
  };
  try {
    checkSchedule(s, now);
  } catch (e) {
    if (e instanceof ScheduleError) throw validation(e.field === "schedule" ? "input.schedule" : `input.schedule.${e.field}`, e.message);
    throw e;
  }
  return { ...s, cron: s.cron?.trim() ?? null, ...resolveCalendarRule(input.schedule, s) };
}

/** Which calendar days a schedule runs on. Whether the calendar exists is the task service's
 *  check (it needs the database). */
function resolveCalendarRule(input: ScheduleInput, s: Schedule): Pick<TaskFields, "calendar" | "calendarDays" | "offsetDays"> {
  const calendar = input.calendar ?? null;
  const offsetDays = input.offsetDays ?? 0;
  if (calendar === null) {
    if (input.days != null) throw validation("input.schedule.days", "days needs a calendar");
    if (offsetDays !== 0) throw validation("input.schedule.offsetDays", "offsetDays needs a calendar");
    return { calendar: null, calendarDays: null, offsetDays: 0 };
  }
  if (s.runAt !== null) throw validation("input.schedule.calendar", "a one-off runAt cannot follow a calendar; use cron or intervalSeconds");
  const days = input.days ?? "TRADING";
  intInRange(offsetDays, "offsetDays", "input.schedule.offsetDays");
  // an offset moves a run N trading days from the matched day: that means something only for a
  // day that is picked out (first/last of a month or week); every trading day shifted is still
  // every trading day, and a non-trading day has no trading-day neighbours to count from
  if (offsetDays !== 0 && (days === "TRADING" || days === "NON_TRADING")) {
    throw validation("input.schedule.offsetDays", `offsetDays needs days FIRST_/LAST_TRADING_OF_MONTH or _WEEK, not ${days}`);
  }
  return { calendar, calendarDays: days, offsetDays };
}

function checkConfig(kind: TaskKind, raw: unknown, handlerNames: string[]): Record<string, unknown> {
  if (raw === undefined) throw validation("input.config", "config is required");
  const parsed = (configSchemas[kind] as z.ZodType<Record<string, unknown>>).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? `input.config.${issue.path.join(".")}` : "input.config";
    const message = issue.code === "unrecognized_keys" ? `unknown key(s) in ${kind} config: ${issue.keys.join(", ")}` : issue.message;
    throw validation(at, `${message}${issue.path.length ? ` (config.${issue.path.join(".")})` : ""}`);
  }
  const config = parsed.data;
  if (kind === "HANDLER" && !handlerNames.includes(config.handler as string)) {
    throw validation("input.config.handler", `unknown handler "${config.handler}"; known: ${handlerNames.join(", ")}`);
  }
  if (kind === "WORKFLOW") {
    try {
      checkDag(config.steps as never);
    } catch (e) {
      if (e instanceof DagError) throw validation(`input.config.${e.path}`, e.message);
      throw e;
    }
  }
  return config;
}
