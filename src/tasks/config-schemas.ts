// The shape of a task's `config`, per kind (API.md). Strict: an unknown key is far more often a
// typo than an intent, and a typo in a nightly job's config should fail when saved, not at 3 am.
import { z } from "zod";

const jsonObject = z.record(z.string(), z.unknown());
/** params every run starts from; triggerTask's params merge over them */
const defaults = jsonObject.optional();

export const commandConfig = z.strictObject({
  command: z.string().min(1, "command is required"),
  args: z.array(z.string()).optional(),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** run through /bin/sh -c (off by default: no shell, no quoting surprises) */
  shell: z.boolean().optional(),
  defaults,
});

export const httpConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "url must be an http(s) URL" }),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  expectStatus: z
    .tuple([z.number().int().min(100).max(599), z.number().int().min(100).max(599)])
    .refine(([min, max]) => min <= max, "expectStatus is [min, max] with min <= max")
    .optional(),
  defaults,
});

export const handlerConfig = z.strictObject({
  handler: z.string().min(1, "handler is required"),
  defaults,
});

export const STEP_ID = /^[A-Za-z0-9_.-]{1,100}$/;

export const workflowStep = z.strictObject({
  id: z.string().regex(STEP_ID, "step id must be 1-100 of [A-Za-z0-9_.-]"),
  task: z.string().min(1, "task is required"),
  dependsOn: z.array(z.string()).default([]),
  params: jsonObject.optional(),
});

export const workflowConfig = z.strictObject({
  mode: z.enum(["SERIAL", "PARALLEL"]).default("SERIAL"),
  onFailure: z.enum(["STOP", "CONTINUE"]).default("STOP"),
  steps: z.array(workflowStep).min(1, "a workflow needs at least one step").max(200),
  defaults,
});

export type CommandConfig = z.infer<typeof commandConfig>;
export type HttpConfig = z.infer<typeof httpConfig>;
export type HandlerConfig = z.infer<typeof handlerConfig>;
export type WorkflowConfig = z.infer<typeof workflowConfig>;
export type WorkflowStep = z.infer<typeof workflowStep>;

export const configSchemas = {
  COMMAND: commandConfig,
  HTTP: httpConfig,
  HANDLER: handlerConfig,
  WORKFLOW: workflowConfig,
} as const;
