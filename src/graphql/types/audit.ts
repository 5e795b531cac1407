import { builder } from "../builder.ts";
import { sharedConnection } from "../connections.ts";
import { decodeId } from "../ids.ts";

const AuditEventRef = builder.prismaNode("AuditEvent", {
  id: { field: "id" },
  nullable: true,
  authScopes: { viewer: true },
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime" }),
    actor: t.exposeString("actor", { nullable: true, description: "the token's sub, or \"system\" for automatic actions" }),
    action: t.exposeString("action"),
    ok: t.exposeBoolean("ok"),
    error: t.exposeString("error", { nullable: true }),
    task: t.relation("task", { nullable: true }),
    execution: t.relation("execution", { nullable: true }),
    details: t.expose("details", { type: "JSON", nullable: true }),
  }),
});

const AuditEventConnection = sharedConnection("AuditEventConnection", AuditEventRef);

builder.queryField("auditEvents", (t) =>
  t.prismaConnection({
    type: "AuditEvent",
    cursor: "id",
    authScopes: { viewer: true },
    description: "Newest first. Every mutation (actor: the token's sub) and every automatic action (actor: system) leaves one event; the arguments filter (all given must match)",
    args: {
      taskId: t.arg.id(),
      action: t.arg.string({ description: 'e.g. "task.create", "execution.retry", "execution.sweep"' }),
      executionId: t.arg.id(),
      actor: t.arg.string({ description: 'a token\'s sub, or "system"' }),
      ok: t.arg.boolean({ description: "false: the rejected attempts only" }),
    },
    totalCount: (_parent, args, ctx) => ctx.prisma.auditEvent.count({ where: auditWhere(args) }),
    resolve: (query, _root, args, ctx) => ctx.prisma.auditEvent.findMany({ ...query, where: auditWhere(args), orderBy: { id: "desc" } }),
  }, AuditEventConnection),
);

function auditWhere(args: { taskId?: string | number | null; action?: string | null; executionId?: string | number | null; actor?: string | null; ok?: boolean | null }) {
  return {
    ...(args.taskId != null ? { taskId: decodeId(String(args.taskId), "Task", "taskId") } : {}),
    ...(args.executionId != null ? { executionId: decodeId(String(args.executionId), "Execution", "executionId") } : {}),
    ...(args.action ? { action: args.action } : {}),
    ...(args.actor ? { actor: args.actor } : {}),
    ...(typeof args.ok === "boolean" ? { ok: args.ok } : {}),
  };
}
