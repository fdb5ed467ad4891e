import type { BaseNode, Metadata } from "@llamaindex/core/schema";
import { MetadataMode, NodeRelationship, TextNode } from "@llamaindex/core/schema";
import { metadataDictToNode, nodeToMetadata } from "@llamaindex/core/vector-store";
import { validateText } from "../embed/text.ts";
import { validateVector } from "../embed/vector.ts";
import { InvalidArgumentError } from "../errors.ts";
import { isPlainObject } from "../plain-object.ts";
import type { JsonValue } from "../query/filter-nodes.ts";
import type { RawRow } from "../query/rows.ts";
import { textProblem } from "../query/where-schema.ts";
import type { NodeModel } from "./store-models.ts";

/** A node row about to be written for one node. */
export interface NodeRow {
  readonly id: string;
  readonly documentId: string;
  readonly rawText: string;
  /** `metadata.label` when it is a string (for a `label` column). */
  readonly label: string | null;
  /** `metadata.page` when it is an integer that fits an Int `page` column. */
  readonly page: number | null;
  /** The node's metadata plus LlamaIndex's keys (`_node_content`, `_node_type`, `ref_doc_id`...). */
  readonly metadata: Record<string, JsonValue>;
  /** The node's own embedding, validated; null when the store must embed `embedText`. */
  readonly vector: number[] | null;
  /** The text LlamaIndex embeds for a node (its content with the embed-visible metadata). */
  readonly embedText: string;
}

/** A ref doc row created for a ref doc the database does not have yet. */
export interface RefDocRow {
  readonly id: string;
  /** `file_name` of the ref doc's metadata, when it has one. */
  readonly title: string | null;
  readonly metadata: Record<string, JsonValue>;
}

/** Keys `nodeToMetadata` adds; `metadataDictToNode` removes them again. */
const LLAMAINDEX_KEYS = ["_node_content", "_node_type", "document_id", "doc_id", "ref_doc_id"];
const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

/**
 * The row for a node. The text goes to the text column, so `_node_content` is stored without it
 * (core's `removeText`); everything else LlamaIndex needs to rebuild the node (id, relationships,
 * hash, excluded keys, node type) is in `_node_content`, as LlamaIndex's own stores keep it.
 * Checks everything before anything is written: text PostgreSQL can store, JSON metadata, and
 * the embedding (length and finite numbers, else DimensionMismatchError).
 */
export function nodeToRow(node: BaseNode, index: number, dimensions: number): NodeRow {
  const where = `nodes.${index}`;
  if (typeof node?.id_ !== "string" || node.id_.length === 0) {
    throw new InvalidArgumentError(`${where}.id_ must be a non-empty string.`, [
      { path: ["nodes", index, "id_"], message: "expected a non-empty string" },
    ]);
  }
  validateText(node.id_, `${where}.id_`);
  const rawText = node.getContent(MetadataMode.NONE);
  validateText(rawText, `${where}.text`);
  const metadata = toJson(
    serialize(() => nodeToMetadata(node, true), where),
    `${where}.metadata`,
  );
  const vector =
    node.embedding === undefined || node.embedding === null
      ? null
      : validateVector(node.embedding, dimensions, `${where}.embedding`);
  const label = node.metadata.label;
  const page = node.metadata.page;
  const documentId = serialize(() => refDocId(node), where);
  validateText(documentId, `${where}.relationships.SOURCE.nodeId`);
  return {
    id: node.id_,
    documentId,
    rawText,
    label: typeof label === "string" ? label : null,
    page: Number.isInteger(page) && page >= INT_MIN && page <= INT_MAX ? (page as number) : null,
    metadata,
    vector,
    embedText: vector ? "" : node.getContent(MetadataMode.EMBED),
  };
}

/** Runs LlamaIndex's own serialization; what it throws on (a function in metadata) is the caller's input error. */
function serialize<T>(fn: () => T, where: string): T {
  try {
    return fn();
  } catch (cause) {
    throw new InvalidArgumentError(
      `${where} cannot be serialized: ${String(cause)}`,
      [{ path: where.split("."), message: "not serializable" }],
      { cause },
    );
  }
}

/** The ref doc a node belongs to: its SOURCE node, else the node itself (a node without a source is its own document). */
export function refDocId(node: BaseNode): string {
  const source = node.sourceNode?.nodeId;
  return typeof source === "string" && source.length > 0 ? source : node.id_;
}

/** The ref doc row for a node's ref doc (used only when no row with that id exists). */
export function refDocRow(node: BaseNode, index: number): RefDocRow {
  const source = node.sourceNode;
  const metadata = source?.metadata ? toJson(source.metadata, `nodes.${index}.relationships.SOURCE.metadata`) : {};
  const fileName = metadata.file_name;
  return { id: refDocId(node), title: typeof fileName === "string" ? fileName : null, metadata };
}

/**
 * The node for a search row (keyed by field name). Rows LlamaIndex wrote are rebuilt with core's
 * `metadataDictToNode` (same class, id, relationships, metadata); the text column is the text.
 * Rows written any other way (Prisma, SQL) become a TextNode of the text and metadata, whose
 * source is the row's ref doc, so `deleteRefDoc` and `docIds` treat them like the rest.
 */
export function rowToNode(row: RawRow, nodes: NodeModel): BaseNode {
  const id = String(row[nodes.model.idField.name]);
  const rawText = row[nodes.text.name];
  const text = typeof rawText === "string" ? rawText : "";
  const metadata = readMetadata(row[nodes.metadata.name]);
  if (typeof metadata._node_content === "string") {
    try {
      const node = metadataDictToNode(metadata);
      node.id_ = id;
      if (node instanceof TextNode) node.text = text;
      return node;
    } catch {
      // An unreadable _node_content (edited by hand): fall back to the plain node below.
    }
  }
  const plain = Object.fromEntries(Object.entries(metadata).filter(([k]) => !LLAMAINDEX_KEYS.includes(k)));
  return new TextNode({
    id_: id,
    text,
    metadata: plain,
    relationships: { [NodeRelationship.SOURCE]: { nodeId: String(row[nodes.refDocKey.name]), metadata: {} } },
  });
}

function readMetadata(value: unknown): Metadata {
  const parsed: unknown = typeof value === "string" ? safeParse(value) : value;
  return isPlainObject(parsed) ? parsed : {};
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A plain-JSON copy of `value`, as jsonb will store it. Rejects what JSON cannot hold or
 * PostgreSQL refuses (bigint, cycles, NaN and Infinity, NUL characters, lone surrogates) with the
 * path of the node.
 */
function toJson(value: Metadata, where: string): Record<string, JsonValue> {
  const path = where.split(".");
  let problem: string | undefined;
  let text: string;
  try {
    text = JSON.stringify(value, (key, v: unknown) => {
      problem ??= textProblem(key) ?? (typeof v === "string" ? textProblem(v) : undefined);
      // JSON.stringify would store NaN and ±Infinity as null without a word.
      if (typeof v === "number" && !Number.isFinite(v)) problem ??= `holds ${v} at "${key}"`;
      return v;
    });
  } catch (cause) {
    throw new InvalidArgumentError(
      `${where} cannot be stored as JSON: ${String(cause)}`,
      [{ path, message: "not JSON-serializable" }],
      { cause },
    );
  }
  if (problem) {
    throw new InvalidArgumentError(`${where} ${problem}, which PostgreSQL jsonb cannot store.`, [
      { path, message: problem },
    ]);
  }
  return JSON.parse(text) as Record<string, JsonValue>;
}
