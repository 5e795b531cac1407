import { builder } from "../builder.ts";
import { decodeId } from "../ids.ts";

builder.prismaNode("AuditEvent", {
  id: { field: "id" },
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

builder.queryField("auditEvents", (t) =>
  t.prismaConnection({
    type: "AuditEvent",
    cursor: "id",
    authScopes: { viewer: true },
    description: "Newest first",
    args: { taskId: t.arg.id(), action: t.arg.string() },
    totalCount: (_parent, args, ctx) => ctx.prisma.auditEvent.count({ where: auditWhere(args) }),
    resolve: (query, _root, args, ctx) => ctx.prisma.auditEvent.findMany({ ...query, where: auditWhere(args), orderBy: { id: "desc" } }),
  }),
);

function auditWhere(args: { taskId?: string | number | null; action?: string | null }) {
  return {
    ...(args.taskId != null ? { taskId: decodeId(String(args.taskId), "Task", "taskId") } : {}),
    ...(args.action ? { action: args.action } : {}),
  };
}
