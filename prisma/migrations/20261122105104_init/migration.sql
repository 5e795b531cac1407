-- CreateEnum
CREATE TYPE "TaskKind" AS ENUM ('COMMAND', 'HTTP', 'HANDLER', 'WORKFLOW');

-- CreateEnum
CREATE TYPE "ExecutionStatus" AS ENUM ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED');

-- CreateEnum
CREATE TYPE "TriggerKind" AS ENUM ('SCHEDULE', 'MANUAL', 'RETRY', 'WORKFLOW', 'CATCH_UP');

-- CreateEnum
CREATE TYPE "OverlapPolicy" AS ENUM ('SKIP', 'QUEUE', 'ALLOW');

-- CreateEnum
CREATE TYPE "MisfirePolicy" AS ENUM ('SKIP', 'RUN_ONCE', 'RUN_ALL');

-- CreateTable
CREATE TABLE "Task" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT,
    "description" TEXT,
    "kind" "TaskKind" NOT NULL,
    "config" JSONB NOT NULL,
    "cron" TEXT,
    "intervalSeconds" INTEGER,
    "runAt" TIMESTAMPTZ(3),
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "maxRetries" INTEGER NOT NULL DEFAULT 0,
    "retryDelaySeconds" INTEGER NOT NULL DEFAULT 60,
    "retryBackoff" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "timeoutSeconds" INTEGER,
    "overlapPolicy" "OverlapPolicy" NOT NULL DEFAULT 'SKIP',
    "misfirePolicy" "MisfirePolicy" NOT NULL DEFAULT 'RUN_ONCE',
    "nextRunAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Execution" (
    "id" SERIAL NOT NULL,
    "taskId" INTEGER NOT NULL,
    "status" "ExecutionStatus" NOT NULL DEFAULT 'PENDING',
    "trigger" "TriggerKind" NOT NULL,
    "manual" BOOLEAN NOT NULL DEFAULT false,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "retryOfId" INTEGER,
    "parentId" INTEGER,
    "stepId" TEXT,
    "scheduledAt" TIMESTAMPTZ(3) NOT NULL,
    "runAfter" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "durationMs" INTEGER,
    "params" JSONB,
    "result" JSONB,
    "error" TEXT,
    "progress" DOUBLE PRECISION,
    "progressMessage" TEXT,
    "currentItem" TEXT,
    "processedItems" INTEGER,
    "totalItems" INTEGER,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "force" BOOLEAN NOT NULL DEFAULT false,
    "logTail" TEXT,
    "logLines" INTEGER NOT NULL DEFAULT 0,
    "triggeredBy" TEXT,
    "workerId" TEXT,
    "heartbeatAt" TIMESTAMPTZ(3),
    "leaseExpiresAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Execution_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExecutionLog" (
    "id" BIGSERIAL NOT NULL,
    "executionId" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stream" TEXT NOT NULL,
    "text" TEXT NOT NULL,

    CONSTRAINT "ExecutionLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT,
    "action" TEXT NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT,
    "taskId" INTEGER,
    "executionId" INTEGER,
    "details" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SchedulerState" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SchedulerState_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Task_name_key" ON "Task"("name");

-- CreateIndex
CREATE INDEX "Task_enabled_paused_nextRunAt_idx" ON "Task"("enabled", "paused", "nextRunAt");

-- CreateIndex
CREATE INDEX "Execution_parentId_stepId_idx" ON "Execution"("parentId", "stepId");

-- CreateIndex
CREATE INDEX "Execution_taskId_id_idx" ON "Execution"("taskId", "id" DESC);

-- CreateIndex
CREATE INDEX "Execution_taskId_status_id_idx" ON "Execution"("taskId", "status", "id" DESC);

-- CreateIndex
CREATE INDEX "Execution_status_id_idx" ON "Execution"("status", "id" DESC);

-- CreateIndex
CREATE INDEX "Execution_status_runAfter_idx" ON "Execution"("status", "runAfter");

-- CreateIndex
CREATE INDEX "Execution_status_leaseExpiresAt_idx" ON "Execution"("status", "leaseExpiresAt");

-- CreateIndex
CREATE INDEX "Execution_taskId_finishedAt_idx" ON "Execution"("taskId", "finishedAt");

-- CreateIndex
CREATE INDEX "Execution_finishedAt_idx" ON "Execution"("finishedAt");

-- CreateIndex
CREATE INDEX "Execution_retryOfId_idx" ON "Execution"("retryOfId");

-- CreateIndex
CREATE UNIQUE INDEX "ExecutionLog_executionId_seq_key" ON "ExecutionLog"("executionId", "seq");

-- CreateIndex
CREATE INDEX "AuditEvent_taskId_id_idx" ON "AuditEvent"("taskId", "id" DESC);

-- CreateIndex
CREATE INDEX "AuditEvent_action_id_idx" ON "AuditEvent"("action", "id" DESC);

-- AddForeignKey
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_retryOfId_fkey" FOREIGN KEY ("retryOfId") REFERENCES "Execution"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Execution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExecutionLog" ADD CONSTRAINT "ExecutionLog_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written (Prisma's schema language has no partial indexes).
-- Fire once: one execution per task and nominal fire time, whichever instance inserts it first.
CREATE UNIQUE INDEX "Execution_fire_key" ON "Execution"("taskId", "scheduledAt") WHERE "trigger" IN ('SCHEDULE', 'CATCH_UP');
-- Each workflow step starts exactly once per run; its retries (trigger RETRY) share the step id.
CREATE UNIQUE INDEX "Execution_step_key" ON "Execution"("parentId", "stepId") WHERE "trigger" = 'WORKFLOW';
