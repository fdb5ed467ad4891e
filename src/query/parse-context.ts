import type { ValidationIssue } from "../errors.ts";
import type { StoreSchema } from "../schema/model-meta.ts";
import type { FilterNode } from "./filter-nodes.ts";
import { TRUE } from "./filter-nodes.ts";
import type { RelationMap } from "./relations.ts";

/** Where a value sits in the caller's arguments: `["where", "page", "gte"]`. */
export type Path = readonly (string | number)[];

/** State of one `parseWhere` call: what it resolves names against, and the problems found. */
export interface ParseContext {
  readonly schema: StoreSchema;
  readonly relations: RelationMap;
  readonly issues: ValidationIssue[];
}

/** Records a problem and returns a placeholder node, so parsing goes on and reports them all. */
export function report(ctx: ParseContext, path: Path, message: string): FilterNode {
  ctx.issues.push({ path: [...path], message });
  return TRUE;
}

/** Keys shown in messages are user input: quote them so odd characters are visible, and cut long ones. */
export function showKey(key: string): string {
  return JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key);
}
