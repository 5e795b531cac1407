// A week ahead: a calendar that tasks run on and whose coverage ends within `aheadDays` raises
// CALENDAR_GAP once (the Outbox key names the calendar and its coverage end, so a later
// extension that runs short again alerts again).
import { enqueueAlerts } from "../alerts/outbox.ts";
import type { Clock } from "../clock.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { addDays, dateToDay, localDay } from "./days.ts";

export const COVERAGE_WARNING_DAYS = 7;

export async function checkCoverage(deps: { prisma: PrismaClient; clock: Clock }, aheadDays = COVERAGE_WARNING_DAYS): Promise<number> {
  const now = deps.clock.now();
  const calendars = await deps.prisma.calendar.findMany({
    where: { tasks: { some: { enabled: true } } },
    include: { tasks: { where: { enabled: true }, select: { name: true }, orderBy: { name: "asc" } } },
  });
  const causes = calendars.flatMap((cal) => {
    const until = cal.coverageUntil ? dateToDay(cal.coverageUntil) : null;
    if (until && until >= addDays(localDay(now, cal.timezone), aheadDays)) return [];
    return [{
      event: "CALENDAR_GAP" as const,
      key: `CALENDAR_GAP:${cal.name}:until:${until ?? "none"}`,
      payload: { calendar: cal.name, coverageUntil: until ?? "nothing (no days yet)", tasks: cal.tasks.map((t) => t.name) },
    }];
  });
  return enqueueAlerts(deps.prisma, causes);
}
