import type { AuditLog } from "../audit/service.ts";
import type { CalendarService } from "../calendars/service.ts";
import type { Alerts } from "../alerts/index.ts";
import type { Viewer } from "../auth/roles.ts";
import type { Limits } from "../config.ts";
import type { EventBus } from "../events/bus.ts";
import type { JobgraphEvents } from "../events/types.ts";
import type { ExecutionService } from "../executions/service.ts";
import type { HistoryQueries } from "../executions/history.ts";
import type { Operations } from "../executions/operations.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { Engine } from "../scheduler/engine.ts";
import type { TaskService } from "../tasks/service.ts";

/** What resolvers may use; built per request (HTTP) or per operation (WebSocket) by one factory. */
export interface Services {
  prisma: PrismaClient;
  tasks: TaskService;
  executions: ExecutionService;
  history: HistoryQueries;
  operations: Operations;
  engine: Engine;
  audit: AuditLog;
  bus: EventBus<JobgraphEvents>;
  logger: Logger;
  calendars: CalendarService;
  alerts: Alerts;
  /** request limits: page sizes, stored JSON (README "Limits") */
  limits: Limits;
}

export interface Context extends Services {
  viewer: Viewer | null;
}
