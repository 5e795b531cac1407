-- CreateEnum
CREATE TYPE "CalendarDays" AS ENUM ('TRADING', 'NON_TRADING', 'FIRST_TRADING_OF_MONTH', 'LAST_TRADING_OF_MONTH', 'FIRST_TRADING_OF_WEEK', 'LAST_TRADING_OF_WEEK');

-- CreateEnum
CREATE TYPE "AlertEvent" AS ENUM ('FAILED', 'TIMED_OUT', 'LEASE_LOST', 'RECOVERED', 'MISSED_FIRE', 'DEADLINE_MISSED', 'CALENDAR_GAP', 'TEST');

-- CreateEnum
CREATE TYPE "AlertChannelKind" AS ENUM ('WEBHOOK', 'SLACK', 'FEISHU', 'DINGTALK', 'WECOM');

-- CreateEnum
CREATE TYPE "AlertDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "TriggerKind" ADD VALUE 'RERUN';
ALTER TYPE "TriggerKind" ADD VALUE 'BACKFILL';

-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "rerunOfId" INTEGER;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "calendar" TEXT,
ADD COLUMN     "calendarDays" "CalendarDays",
ADD COLUMN     "deadlineSeconds" INTEGER,
ADD COLUMN     "offsetDays" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "Calendar" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "coverageFrom" DATE,
    "coverageUntil" DATE,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Calendar_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CalendarDay" (
    "calendarId" INTEGER NOT NULL,
    "day" DATE NOT NULL,

    CONSTRAINT "CalendarDay_pkey" PRIMARY KEY ("calendarId","day")
);

-- CreateTable
CREATE TABLE "Outbox" (
    "id" BIGSERIAL NOT NULL,
    "topic" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "key" TEXT,
    "taskId" INTEGER,
    "executionId" INTEGER,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertChannel" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "AlertChannelKind" NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT,
    "events" "AlertEvent"[],
    "tasks" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "AlertChannel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertDelivery" (
    "id" SERIAL NOT NULL,
    "channelId" INTEGER NOT NULL,
    "event" "AlertEvent" NOT NULL,
    "outboxId" BIGINT,
    "taskId" INTEGER,
    "executionId" INTEGER,
    "groupKey" TEXT,
    "count" INTEGER NOT NULL DEFAULT 1,
    "payload" JSONB NOT NULL,
    "status" "AlertDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "responseStatus" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMPTZ(3),

    CONSTRAINT "AlertDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Calendar_name_key" ON "Calendar"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Outbox_key_key" ON "Outbox"("key");

-- CreateIndex
CREATE INDEX "Outbox_topic_processedAt_id_idx" ON "Outbox"("topic", "processedAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "AlertChannel_name_key" ON "AlertChannel"("name");

-- CreateIndex
CREATE INDEX "AlertDelivery_status_nextAttemptAt_idx" ON "AlertDelivery"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "AlertDelivery_channelId_id_idx" ON "AlertDelivery"("channelId", "id" DESC);

-- CreateIndex
CREATE INDEX "AlertDelivery_groupKey_id_idx" ON "AlertDelivery"("groupKey", "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "AlertDelivery_outboxId_channelId_key" ON "AlertDelivery"("outboxId", "channelId");

-- AddForeignKey
ALTER TABLE "Task" ADD CONSTRAINT "Task_calendar_fkey" FOREIGN KEY ("calendar") REFERENCES "Calendar"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_rerunOfId_fkey" FOREIGN KEY ("rerunOfId") REFERENCES "Execution"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CalendarDay" ADD CONSTRAINT "CalendarDay_calendarId_fkey" FOREIGN KEY ("calendarId") REFERENCES "Calendar"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertDelivery" ADD CONSTRAINT "AlertDelivery_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "AlertChannel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertDelivery" ADD CONSTRAINT "AlertDelivery_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertDelivery" ADD CONSTRAINT "AlertDelivery_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE SET NULL ON UPDATE CASCADE;
