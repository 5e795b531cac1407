// Alert channels: validate → write. The secret is write-only: stored for signing, never returned
// (the API shows hasSecret).
import { z } from "zod";
import { conflict, notFound, validation } from "../errors.ts";
import { Prisma, type AlertChannel, type PrismaClient } from "../generated/prisma/client.ts";
import { AlertChannelKind, AlertEvent } from "../generated/prisma/enums.ts";

const NAME = /^[A-Za-z0-9_. -]{1,100}$/;

/** undefined keeps (on update), null clears */
export interface AlertChannelInput {
  name?: string | null;
  kind?: AlertChannelKind | null;
  url?: string | null;
  secret?: string | null;
  events?: AlertEvent[] | null;
  tasks?: string[] | null;
  tags?: string[] | null;
  enabled?: boolean | null;
}

const channelSchema = z.object({
  name: z.string().regex(NAME, "name must be 1-100 of letters, digits, space and _.-"),
  kind: z.enum(AlertChannelKind),
  url: z.url({ protocol: /^https?$/, error: "url must be an http(s) URL" }),
  secret: z.string().min(8, "secret must have at least 8 characters").max(500).nullable(),
  events: z
    .array(z.enum(AlertEvent).exclude(["TEST"]))
    .min(1, "events: give at least one event")
    .refine((e) => new Set(e).size === e.length, "events: each event once"),
  tasks: z.array(z.string().min(1).max(100)).max(1000),
  tags: z.array(z.string().min(1).max(50)).max(100),
  enabled: z.boolean(),
});

export class AlertChannelService {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  async get(id: number): Promise<AlertChannel> {
    const channel = await this.deps.prisma.alertChannel.findUnique({ where: { id } });
    if (!channel) throw notFound(`alert channel ${id}`);
    return channel;
  }

  async create(input: AlertChannelInput): Promise<AlertChannel> {
    const data = check(input, null);
    return this.write(() => this.deps.prisma.alertChannel.create({ data }));
  }

  async update(id: number, input: AlertChannelInput): Promise<AlertChannel> {
    const current = await this.get(id);
    const data = check(input, current);
    return this.write(() => this.deps.prisma.alertChannel.update({ where: { id }, data }));
  }

  async delete(id: number): Promise<void> {
    await this.get(id);
    await this.deps.prisma.alertChannel.delete({ where: { id } });
  }

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") throw conflict("an alert channel with this name already exists");
      throw e;
    }
  }
}

function check(input: AlertChannelInput, current: AlertChannel | null) {
  const merged = {
    name: input.name ?? current?.name,
    kind: input.kind ?? current?.kind,
    url: input.url ?? current?.url,
    secret: input.secret === undefined ? (current?.secret ?? null) : input.secret === "" ? null : input.secret,
    events: input.events ?? current?.events,
    tasks: input.tasks === undefined ? (current?.tasks ?? []) : (input.tasks ?? []),
    tags: input.tags === undefined ? (current?.tags ?? []) : (input.tags ?? []),
    enabled: input.enabled ?? current?.enabled ?? true,
  };
  const parsed = channelSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0] ? `input.${String(issue.path[0])}` : "input";
    throw validation(field, issue.message.startsWith("Invalid input") ? `${field.slice(6)}: ${issue.message}` : issue.message);
  }
  return parsed.data;
}
