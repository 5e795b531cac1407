// Trading calendars: storage and an in-memory cache of each calendar's days. Writes go through
// here (GraphQL admin mutations and the COMMAND protocol line); readers get CalendarData, cached
// per calendar and re-validated by one cheap query (updatedAt), so a change made on another
// instance is seen at the next read, not after a TTL.
import { z } from "zod";
import { SYSTEM_ACTOR, type AuditLog } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { conflict, notFound, validation } from "../errors.ts";
import { Prisma, type Calendar, type PrismaClient, type Task } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { isValidTimeZone } from "../scheduler/schedule.ts";
import { addDays, dateToDay, dayToDate, daysBetween, isIsoDate, type CalendarData } from "./days.ts";
import { calendarFireFilter, type CalendarFireFilter } from "./schedule-filter.ts";

type Tx = Prisma.TransactionClient;
/** reads go through the caller's transaction when it holds one (PGlite has one connection) */
export type CalendarReader = Pick<PrismaClient, "calendar">;

export const CALENDAR_NAME = /^[A-Za-z0-9_.-]{1,50}$/;
/** one setCalendarDays call covers at most this many days (about ten years) */
export const MAX_RANGE_DAYS = 3700;

const isoDate = z.string().refine(isIsoDate, "must be a date YYYY-MM-DD");

/** `::jobgraph {"calendar": …}` of a COMMAND run: the same shape as setCalendarDays' arguments. */
export const calendarRangeSchema = z.strictObject({
  name: z.string().regex(CALENDAR_NAME, "name must be 1-50 of [A-Za-z0-9_.-]"),
  from: isoDate,
  until: isoDate,
  tradingDays: z.array(isoDate).max(MAX_RANGE_DAYS),
});
export type CalendarRange = z.infer<typeof calendarRangeSchema>;

export interface CalendarInput {
  name?: string | null;
  description?: string | null;
  timezone?: string | null;
}

export interface CalendarServiceDeps {
  prisma: PrismaClient;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
}

const dayOrNull = (d: Date | null) => (d ? dateToDay(d) : null);

export class CalendarService {
  private readonly cache = new Map<string, { version: number; data: CalendarData }>();
  private readonly listeners = new Set<(name: string) => void>();

  constructor(private readonly deps: CalendarServiceDeps) {}

  /** called after a calendar's days or name changed (tasks on it re-plan their next fire) */
  onChanged(listener: (name: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async get(name: string): Promise<Calendar> {
    const cal = await this.deps.prisma.calendar.findUnique({ where: { name } });
    if (!cal) throw notFound(`calendar "${name}"`);
    return cal;
  }

  async create(input: CalendarInput): Promise<Calendar> {
    const name = checkName(input.name, "input.name");
    return this.write(() =>
      this.deps.prisma.calendar.create({ data: { name, description: checkDescription(input.description), timezone: checkTimezone(input.timezone ?? "UTC") } }),
    );
  }

  async update(name: string, input: CalendarInput): Promise<Calendar> {
    const current = await this.get(name);
    const data: Prisma.CalendarUpdateInput = {};
    if (input.name != null) data.name = checkName(input.name, "input.name");
    if (input.description !== undefined) data.description = checkDescription(input.description);
    if (input.timezone != null) data.timezone = checkTimezone(input.timezone);
    // tasks refer to the calendar by name; the foreign key renames them along (ON UPDATE CASCADE)
    const updated = await this.write(() => this.deps.prisma.calendar.update({ where: { id: current.id }, data }));
    this.changed(name);
    if (updated.name !== name) this.changed(updated.name);
    return updated;
  }

  async delete(name: string): Promise<void> {
    await this.deps.prisma.$transaction(async (tx) => {
      const cal = await this.lock(tx, name);
      const users = await tx.task.findMany({ where: { calendar: name }, select: { name: true }, orderBy: { name: "asc" } });
      if (users.length) throw conflict(`calendar "${name}" is used by task(s): ${users.map((t) => t.name).join(", ")}`);
      await tx.calendar.delete({ where: { id: cal.id } });
    });
    this.changed(name);
  }

  /** setCalendarDays: replaces [from, until] with `tradingDays` and extends the coverage. */
  async setDays(range: CalendarRange): Promise<Calendar> {
    const cal = await this.deps.prisma.$transaction((tx) => this.setDaysInTx(tx, range, ""));
    this.changed(range.name);
    return cal;
  }

  /** The calendar lines of a successful COMMAND run: all of them or none, audited as the run's. */
  async applyFromRun(ranges: CalendarRange[], executionId: number): Promise<void> {
    await this.deps.prisma.$transaction(async (tx) => {
      for (const [i, range] of ranges.entries()) {
        await this.setDaysInTx(tx, range, ranges.length > 1 ? `calendar[${i}].` : "calendar.");
        await this.deps.audit.record(
          { actor: SYSTEM_ACTOR, action: "calendar.setDays", ok: true, executionId, details: { name: range.name, from: range.from, until: range.until, tradingDays: range.tradingDays.length } },
          tx,
        );
      }
    });
    for (const name of new Set(ranges.map((r) => r.name))) this.changed(name);
  }

  /** The calendar's days (cached); null when there is no such calendar. */
  async load(name: string, db: CalendarReader = this.deps.prisma): Promise<CalendarData | null> {
    const head = await db.calendar.findUnique({ where: { name }, select: { id: true, updatedAt: true } });
    if (!head) {
      this.cache.delete(name);
      return null;
    }
    const cached = this.cache.get(name);
    if (cached && cached.version === head.updatedAt.getTime() && cached.data.id === head.id) return cached.data;
    const cal = await db.calendar.findUnique({ where: { id: head.id }, include: { days: { select: { day: true } } } });
    if (!cal) return null;
    const data: CalendarData = {
      id: cal.id,
      name: cal.name,
      timezone: cal.timezone,
      coverageFrom: dayOrNull(cal.coverageFrom),
      coverageUntil: dayOrNull(cal.coverageUntil),
      trading: new Set(cal.days.map((d) => dateToDay(d.day))),
    };
    this.cache.set(name, { version: cal.updatedAt.getTime(), data });
    return data;
  }

  /** The day filter of a task's schedule, or undefined when it has no calendar. A calendar that
   *  vanished cannot happen (a used calendar cannot be deleted); it would filter nothing out but
   *  answer "unknown" for every day, which skips and alerts rather than runs blind. */
  async fireFilter(task: Pick<Task, "calendar" | "calendarDays" | "offsetDays" | "timezone">, db?: CalendarReader): Promise<CalendarFireFilter | undefined> {
    if (!task.calendar) return undefined;
    const data = (await this.load(task.calendar, db)) ?? { id: 0, name: task.calendar, timezone: "UTC", coverageFrom: null, coverageUntil: null, trading: new Set<string>() };
    return calendarFireFilter(data, { days: task.calendarDays ?? "TRADING", offsetDays: task.offsetDays, timezone: task.timezone });
  }

  private async setDaysInTx(tx: Tx, range: CalendarRange, at: string): Promise<Calendar> {
    const { from, until } = range;
    for (const [field, value] of [["from", from], ["until", until]] as const) {
      if (!isIsoDate(value)) throw validation(`${at}${field}`, `${field} must be a date YYYY-MM-DD`);
    }
    if (from > until) throw validation(`${at}until`, `until (${until}) is before from (${from})`);
    if (daysBetween(from, until) >= MAX_RANGE_DAYS) throw validation(`${at}until`, `a range covers at most ${MAX_RANGE_DAYS} days`);
    const days = [...new Set(range.tradingDays)].sort();
    for (const day of days) {
      if (!isIsoDate(day)) throw validation(`${at}tradingDays`, `tradingDays: "${day}" is not a date YYYY-MM-DD`);
      if (day < from || day > until) throw validation(`${at}tradingDays`, `tradingDays: ${day} is outside ${from}..${until}`);
    }
    const cal = await this.lock(tx, range.name);
    const covFrom = dayOrNull(cal.coverageFrom);
    const covUntil = dayOrNull(cal.coverageUntil);
    // coverage is one range: a disjoint one would leave days in between that look non-trading
    if (covFrom && covUntil && (until < addDays(covFrom, -1) || from > addDays(covUntil, 1))) {
      throw validation(`${at}from`, `${from}..${until} would leave a gap in "${range.name}"'s coverage ${covFrom}..${covUntil}: give a range that overlaps or touches it`);
    }
    await tx.calendarDay.deleteMany({ where: { calendarId: cal.id, day: { gte: dayToDate(from), lte: dayToDate(until) } } });
    if (days.length) await tx.calendarDay.createMany({ data: days.map((d) => ({ calendarId: cal.id, day: dayToDate(d) })) });
    return tx.calendar.update({
      where: { id: cal.id },
      data: {
        coverageFrom: dayToDate(covFrom && covFrom < from ? covFrom : from),
        coverageUntil: dayToDate(covUntil && covUntil > until ? covUntil : until),
        // the cache's version: bumped even when the coverage did not move
        updatedAt: new Date(Math.max(Date.now(), cal.updatedAt.getTime() + 1)),
      },
    });
  }

  private async lock(tx: Tx, name: string): Promise<Calendar> {
    const rows = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Calendar" WHERE name = ${name} FOR UPDATE`;
    if (!rows.length) throw notFound(`calendar "${name}"`);
    return (await tx.calendar.findUnique({ where: { id: rows[0]!.id } }))!;
  }

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") throw conflict("a calendar with this name already exists");
      throw e;
    }
  }

  private changed(name: string): void {
    this.cache.delete(name);
    for (const listener of this.listeners) {
      try {
        listener(name);
      } catch (e) {
        this.deps.logger.error({ err: e, calendar: name }, "calendar listener failed");
      }
    }
  }
}

function checkName(name: string | null | undefined, field: string): string {
  if (!name) throw validation(field, "name is required");
  if (!CALENDAR_NAME.test(name)) throw validation(field, "name must be 1-50 of [A-Za-z0-9_.-]");
  return name;
}

function checkDescription(d: string | null | undefined): string | null {
  if (d && d.length > 2000) throw validation("input.description", "description is longer than 2000 characters");
  return d ?? null;
}

function checkTimezone(tz: string): string {
  if (!isValidTimeZone(tz)) throw validation("input.timezone", `unknown time zone "${tz}" (use an IANA name such as "Asia/Shanghai")`);
  return tz;
}
