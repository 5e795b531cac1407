// Trading calendars: the Calendar node, its day queries, the admin mutations, and the
// calendar-aware preview of a task's next fires.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { dateToDay, daysBetween, isTradingDay, nextTradingDay, previousTradingDay, tradingDays, type CalendarData } from "../../calendars/days.ts";
import { MAX_RANGE_DAYS } from "../../calendars/service.ts";
import { notFound, validation } from "../../errors.ts";
import type { Calendar } from "../../generated/prisma/client.ts";
import { nextFire } from "../../scheduler/schedule.ts";
import { AUDIT_ACTIONS, audited } from "../audited.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";

async function daysOf(ctx: Context, cal: Calendar): Promise<CalendarData> {
  const data = await ctx.calendars.load(cal.name);
  if (!data) throw notFound(`calendar "${cal.name}"`);
  return data;
}

builder.prismaNode("Calendar", {
  id: { field: "id" },
  nullable: true,
  authScopes: { viewer: true },
  description: "A trading calendar (e.g. XSHG): its trading days inside [coverageFrom, coverageUntil]; days outside are unknown",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    timezone: t.exposeString("timezone", { description: "The exchange's time zone (a schedule takes its dates in its own timezone)" }),
    coverageFrom: t.field({ type: "Date", nullable: true, resolve: (c) => (c.coverageFrom ? dateToDay(c.coverageFrom) : null) }),
    coverageUntil: t.field({ type: "Date", nullable: true, resolve: (c) => (c.coverageUntil ? dateToDay(c.coverageUntil) : null) }),
    isTradingDay: t.boolean({
      nullable: true,
      description: "null when the date is outside the covered range (unknown)",
      args: { date: t.arg({ type: "Date", required: true }) },
      resolve: async (c, args, ctx) => isTradingDay(await daysOf(ctx, c), args.date),
    }),
    tradingDays: t.field({
      type: ["Date"],
      description: `The covered trading days in [from, until] (at most ${MAX_RANGE_DAYS} days apart)`,
      args: { from: t.arg({ type: "Date", required: true }), until: t.arg({ type: "Date", required: true }) },
      resolve: async (c, args, ctx) => {
        if (args.from > args.until) throw validation("until", "until is before from");
        if (daysBetween(args.from, args.until) >= MAX_RANGE_DAYS) throw validation("until", `at most ${MAX_RANGE_DAYS} days at once`);
        return tradingDays(await daysOf(ctx, c), args.from, args.until);
      },
    }),
    nextTradingDay: t.field({
      type: "Date",
      nullable: true,
      description: "null when an unknown day comes before the next trading day",
      args: { after: t.arg({ type: "Date", required: true }) },
      resolve: async (c, args, ctx) => nextTradingDay(await daysOf(ctx, c), args.after),
    }),
    previousTradingDay: t.field({
      type: "Date",
      nullable: true,
      description: "null when an unknown day comes before the previous trading day",
      args: { before: t.arg({ type: "Date", required: true }) },
      resolve: async (c, args, ctx) => previousTradingDay(await daysOf(ctx, c), args.before),
    }),
    tasks: t.relation("tasks", { description: "Tasks whose schedule runs on this calendar", query: { orderBy: { name: "asc" } } }),
  }),
});

const CalendarInput = builder.inputType("CalendarInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "1-50 of [A-Za-z0-9_.-], e.g. XSHG" }),
    description: t.string(),
    timezone: t.string({ description: "IANA name; default UTC" }),
  }),
});

const UpdateCalendarInput = builder.inputType("UpdateCalendarInput", {
  description: "Every field optional; a new name is followed by the tasks on the calendar",
  fields: (t) => ({ name: t.string(), description: t.string(), timezone: t.string() }),
});

builder.queryFields((t) => ({
  calendars: t.prismaField({
    type: ["Calendar"],
    authScopes: { viewer: true },
    resolve: (query, _root, _args, ctx) => ctx.prisma.calendar.findMany({ ...query, orderBy: { name: "asc" } }),
  }),
  calendar: t.prismaField({
    type: "Calendar",
    nullable: true,
    authScopes: { viewer: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.calendar.findUnique({ ...query, where: { name: args.name } }),
  }),
}));

builder.mutationFields((t) => ({
  createCalendar: t.prismaField({
    type: "Calendar",
    authScopes: { admin: true },
    args: { input: t.arg({ type: CalendarInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      audited(ctx, AUDIT_ACTIONS.createCalendar, {}, { name: input.name }, async () => {
        const cal = await ctx.calendars.create(input);
        return ctx.prisma.calendar.findUniqueOrThrow({ ...query, where: { id: cal.id } });
      }),
  }),
  updateCalendar: t.prismaField({
    type: "Calendar",
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }), input: t.arg({ type: UpdateCalendarInput, required: true }) },
    resolve: (query, _root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.updateCalendar, {}, { name: args.name, fields: Object.keys(args.input) }, async () => {
        const cal = await ctx.calendars.update(args.name, args.input);
        return ctx.prisma.calendar.findUniqueOrThrow({ ...query, where: { id: cal.id } });
      }),
  }),
  deleteCalendar: t.field({
    type: "ID",
    authScopes: { admin: true },
    description: "Refused (CONFLICT, naming them) while tasks run on it; returns the deleted calendar's id",
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.deleteCalendar, {}, { name: args.name }, async () => {
        const cal = await ctx.calendars.get(args.name);
        await ctx.calendars.delete(args.name);
        return encodeGlobalID("Calendar", cal.id);
      }),
  }),
  setCalendarDays: t.prismaField({
    type: "Calendar",
    authScopes: { admin: true },
    description: "Replaces the trading days in [from, until] atomically (days of the range not listed become non-trading) and extends the coverage to include it",
    args: {
      name: t.arg.string({ required: true }),
      from: t.arg({ type: "Date", required: true }),
      until: t.arg({ type: "Date", required: true }),
      tradingDays: t.arg({ type: ["Date"], required: true }),
    },
    resolve: (query, _root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.setCalendarDays, {}, { name: args.name, from: args.from, until: args.until, tradingDays: args.tradingDays.length }, async () => {
        const cal = await ctx.calendars.setDays(args);
        return ctx.prisma.calendar.findUniqueOrThrow({ ...query, where: { id: cal.id } });
      }),
  }),
}));

