// Global ids are Relay's base64("Type:id"). Decoding checks the type so an Execution id sent
// where a Task id belongs is a VALIDATION error naming the argument, not a confusing NOT_FOUND.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { validation } from "../errors.ts";

type NodeType = "Task" | "Execution" | "AuditEvent" | "AlertChannel";

export function decodeId(globalId: string, type: NodeType, field: string): number {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw validation(field, `${field} is not a valid id`);
  }
  const id = Number(decoded.id);
  if (decoded.typename !== type || !Number.isSafeInteger(id) || id < 1) throw validation(field, `${field} is not a ${type} id`);
  return id;
}

export const encodeId = (type: NodeType, id: number) => encodeGlobalID(type, id);
