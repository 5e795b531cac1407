// Alerts: channels (admin; the secret is write-only, hasSecret tells whether one is set), the
// deliveries made to them, their live feed, and the task's deadline.
import { AlertChannelKind, AlertDeliveryStatus, AlertEvent } from "../../generated/prisma/enums.ts";
import { AUDIT_ACTIONS, audited } from "../audited.ts";
import { builder } from "../builder.ts";
import { sharedConnection } from "../connections.ts";
import { decodeId, encodeId } from "../ids.ts";
import { closingWith } from "./execution.ts";

const AlertEventEnum = builder.enumType(AlertEvent, {
  name: "AlertEvent",
  description: "FAILED/TIMED_OUT: final attempt only; LEASE_LOST: a worker stopped heart-beating; RECOVERED: first success after a final failure; MISSED_FIRE: fires skipped or caught up by the misfire policy; DEADLINE_MISSED; CALENDAR_GAP: a fire on a day the calendar does not cover, or coverage ending within 7 days; TEST",
});
const AlertChannelKindEnum = builder.enumType(AlertChannelKind, { name: "AlertChannelKind" });
const AlertDeliveryStatusEnum = builder.enumType(AlertDeliveryStatus, { name: "AlertDeliveryStatus" });

const channelId = (globalId: string | number, field: string) => decodeId(String(globalId), "AlertChannel", field);

builder.prismaNode("AlertChannel", {
  id: { field: "id" },
  nullable: true,
  authScopes: { admin: true },
  fields: (t) => ({
    name: t.exposeString("name"),
    kind: t.expose("kind", { type: AlertChannelKindEnum }),
    url: t.exposeString("url"),
    events: t.expose("events", { type: [AlertEventEnum] }),
    tasks: t.stringList({ nullable: true, description: "Limited to these task names (null: no limit)", resolve: (c) => (c.tasks.length ? c.tasks : null) }),
    tags: t.stringList({ nullable: true, description: "Limited to tasks with one of these tags (null: no limit)", resolve: (c) => (c.tags.length ? c.tags : null) }),
    enabled: t.exposeBoolean("enabled"),
    hasSecret: t.boolean({ description: "Requests are signed (the secret itself is never returned)", resolve: (c) => c.secret !== null }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const AlertDeliveryRef = builder.prismaNode("AlertDelivery", {
  id: { field: "id" },
  nullable: true,
  authScopes: { viewer: true },
  fields: (t) => ({
    channel: t.relation("channel"),
    event: t.expose("event", { type: AlertEventEnum }),
    task: t.relation("task", { nullable: true }),
    execution: t.relation("execution", { nullable: true }),
    status: t.expose("status", { type: AlertDeliveryStatusEnum }),
    count: t.exposeInt("count", { description: "Causes folded into this message (alerts of one task and event within the group window)" }),
    attempts: t.exposeInt("attempts"),
    lastError: t.exposeString("lastError", { nullable: true }),
    responseStatus: t.exposeInt("responseStatus", { nullable: true }),
    nextAttemptAt: t.field({ type: "DateTime", nullable: true, description: "When a PENDING delivery is tried next", resolve: (d) => (d.status === "PENDING" ? d.nextAttemptAt : null) }),
    payload: t.expose("payload", { type: "JSON", description: "What the alert says (task, status, error, attempt, times, …)" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true }),
  }),
});

const AlertDeliveryConnection = sharedConnection("AlertDeliveryConnection", AlertDeliveryRef);

const channelFields = (required: boolean) =>
  ((t: any) => ({
    name: t.string({ required }),
    kind: t.field({ type: AlertChannelKindEnum, required }),
    url: t.string({ required, description: "The incoming-webhook URL" }),
    secret: t.string({ description: "Signs every request (X-Jobgraph-Signature; DingTalk/Feishu: their own signature too). Write-only; \"\" or null clears it" }),
    events: t.field({ type: [AlertEventEnum], required }),
    tasks: t.stringList({ description: "Only these task names" }),
    tags: t.stringList({ description: "Only tasks with one of these tags" }),
    enabled: t.boolean(),
  })) as never;

const AlertChannelInput = builder.inputType("AlertChannelInput", { fields: channelFields(true) });
const UpdateAlertChannelInput = builder.inputType("UpdateAlertChannelInput", { description: "Every field optional", fields: channelFields(false) });

builder.queryFields((t) => ({
  alertChannels: t.prismaField({
    type: ["AlertChannel"],
    authScopes: { admin: true },
    resolve: (query, _root, _args, ctx) => ctx.prisma.alertChannel.findMany({ ...query, orderBy: { id: "asc" } }),
  }),
  alertDeliveries: t.prismaConnection({
    type: "AlertDelivery",
    cursor: "id",
    authScopes: { viewer: true },
    description: "Newest first",
    args: { channelId: t.arg.id(), status: t.arg({ type: AlertDeliveryStatusEnum }), event: t.arg({ type: AlertEventEnum }) },
    totalCount: (_parent, args, ctx) => ctx.prisma.alertDelivery.count({ where: deliveryWhere(args) }),
    resolve: (query, _root, args, ctx) => ctx.prisma.alertDelivery.findMany({ ...query, where: deliveryWhere(args), orderBy: { id: "desc" } }),
  }, AlertDeliveryConnection),
}));

function deliveryWhere(args: { channelId?: string | number | null; status?: AlertDeliveryStatus | null; event?: AlertEvent | null }) {
  return {
    ...(args.channelId != null ? { channelId: channelId(args.channelId, "channelId") } : {}),
    ...(args.status ? { status: args.status } : {}),
    ...(args.event ? { event: args.event } : {}),
  };
}

builder.mutationFields((t) => ({
  createAlertChannel: t.prismaField({
    type: "AlertChannel",
    authScopes: { admin: true },
    args: { input: t.arg({ type: AlertChannelInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      audited(ctx, AUDIT_ACTIONS.createAlertChannel, {}, { name: (input as { name: string }).name }, async () => {
        const c = await ctx.alerts.channels.create(input as never);
        return ctx.prisma.alertChannel.findUniqueOrThrow({ ...query, where: { id: c.id } });
      }),
  }),
  updateAlertChannel: t.prismaField({
    type: "AlertChannel",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateAlertChannelInput, required: true }) },
    resolve: (query, _root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.updateAlertChannel, {}, { id: String(args.id), fields: Object.keys(args.input) }, async () => {
        const id = channelId(args.id, "id");
        await ctx.alerts.channels.update(id, args.input as never);
        return ctx.prisma.alertChannel.findUniqueOrThrow({ ...query, where: { id } });
      }),
  }),
  deleteAlertChannel: t.field({
    type: "ID",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.deleteAlertChannel, {}, { id: String(args.id) }, async () => {
        const id = channelId(args.id, "id");
        await ctx.alerts.channels.delete(id);
        return encodeId("AlertChannel", id);
      }),
  }),
  testAlertChannel: t.prismaField({
    type: "AlertDelivery",
    authScopes: { admin: true },
    description: "Sends a TEST message to the channel now (one attempt, retried like any delivery when it fails) and returns its delivery",
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      audited(ctx, AUDIT_ACTIONS.testAlertChannel, {}, { id: String(args.id) }, async () => {
        const d = await ctx.alerts.test(channelId(args.id, "id"));
        return ctx.prisma.alertDelivery.findUniqueOrThrow({ ...query, where: { id: d.id } });
      }),
  }),
}));

builder.subscriptionField("alertDeliveries", (t) =>
  t.field({
    type: AlertDeliveryRef,
    authScopes: { viewer: true },
    description: "Every new delivery, and each one again when it is DELIVERED or FAILED",
    subscribe: (_root, _args, ctx) => {
      const live = ctx.bus.subscribe("alertDelivery", "*");
      return closingWith(live, (async function* () {
        yield* live;
      })());
    },
    resolve: (row) => row,
  }),
);

builder.prismaObjectField("Task", "deadlineSeconds", (t) =>
  t.exposeInt("deadlineSeconds", { nullable: true, description: "A scheduled fire not SUCCEEDED (retries included) this long after scheduledAt raises DEADLINE_MISSED" }),
);
