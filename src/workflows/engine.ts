// Placeholder until the workflow engine lands: a WORKFLOW run fails clearly instead of hanging.
import type { ExecutionService } from "../executions/service.ts";
import type { Execution } from "../generated/prisma/client.ts";
import type { WorkflowDriver } from "../scheduler/workflow-driver.ts";

export function createWorkflowEngine(deps: { executions: ExecutionService }): WorkflowDriver {
  return {
    async start(parent: Execution) {
      await deps.executions.finish({ id: parent.id, status: ["RUNNING"] }, { status: "FAILED", error: "workflows are not implemented yet" });
    },
    childFinished() {},
    async cancelRequested() {},
    async resumeAll() {},
  };
}
