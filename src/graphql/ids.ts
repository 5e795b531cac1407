// Global ids are Relay's base64("Type:id"). Decoding checks the type so an Execution id sent
// where a Task id belongs is a VALIDATION error naming the argument, not a confusing NOT_FOUND;
// and the number, so one no row can have (beyond int4) is refused here, not by the database.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { isObjectType, type GraphQLSchema } from "graphql";
import { validation } from "../errors.ts";

type NodeType = "Task" | "Execution" | "AuditEvent" | "AlertChannel";

/** every table's id is a PostgreSQL `integer` (SERIAL) */
export const MAX_ROW_ID = 2_147_483_647;

const isRowId = (id: unknown) => {
  const n = typeof id === "number" ? id : /^\d+$/.test(String(id)) ? Number(id) : NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_ROW_ID;
};

export function decodeId(globalId: string, type: NodeType, field: string): number {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw validation(field, `${field} is not a valid id`);
  }
  if (decoded.typename !== type || !isRowId(decoded.id)) throw validation(field, `${field} is not a ${type} id`);
  return Number(decoded.id);
}

/** node(id): an id naming a type that is not a Node, or a number no row can have, names
 *  nothing — node answers null for it (as for a deleted row) instead of failing in a loader. */
export function namesANode(id: { typename: string; id: unknown }, schema: GraphQLSchema): boolean {
  const type = schema.getType(id.typename);
  return isObjectType(type) && type.getInterfaces().some((i) => i.name === "Node") && isRowId(id.id);
}

export const encodeId = (type: NodeType, id: number) => encodeGlobalID(type, id);
