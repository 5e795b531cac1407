import { CalendarDays, ExecutionStatus, MisfirePolicy, OverlapPolicy, TaskKind, TriggerKind } from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";

export const TaskKindEnum = builder.enumType(TaskKind, { name: "TaskKind" });
export const ExecutionStatusEnum = builder.enumType(ExecutionStatus, { name: "ExecutionStatus" });
export const TriggerKindEnum = builder.enumType(TriggerKind, {
  name: "TriggerKind",
  description:
    "What created an execution: a schedule fire, a person, the retry policy, a workflow step, a misfire catch-up, a rerun of an earlier run (rerunOf), or a backfill of a past fire",
});
export const OverlapPolicyEnum = builder.enumType(OverlapPolicy, {
  name: "OverlapPolicy",
  description: "A fire while the previous run is active: SKIP records a SKIPPED execution, QUEUE waits, ALLOW runs side by side",
});
export const MisfirePolicyEnum = builder.enumType(MisfirePolicy, {
  name: "MisfirePolicy",
  description: "Fires missed while no instance was up: SKIP none, RUN_ONCE one catch-up run, RUN_ALL every missed fire (within the catch-up window)",
});
export const CalendarDaysEnum = builder.enumType(CalendarDays, {
  name: "CalendarDays",
  description: "Which days of a trading calendar a schedule runs on (the cron gives the time of day; its day fields still narrow)",
});
