import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HybridStoreError, InvalidFilterError, type ValidationIssue } from "../../src/errors.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import type { BundledModelName } from "../../src/schema/model-meta.ts";
import { projectSchema } from "../helpers/query.ts";

const schema = projectSchema();

function issuesOf(model: BundledModelName, where: unknown): readonly ValidationIssue[] {
  try {
    parseWhere(schema[model], schema, where);
  } catch (err) {
    assert.ok(err instanceof InvalidFilterError, `expected InvalidFilterError, got ${String(err)}`);
    assert.ok(err instanceof HybridStoreError);
    assert.equal(err.code, "INVALID_FILTER");
    return err.issues;
  }
  assert.fail(`accepted ${JSON.stringify(where)}`);
}

/** Exactly one issue, at `path`, whose message matches. */
function rejects(model: BundledModelName, where: unknown, path: string, message: RegExp) {
  const issues = issuesOf(model, where);
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.equal(issues[0]!.path.join("."), path);
  assert.match(issues[0]!.message, message);
}

describe("parseWhere rejects what it cannot compile, with the path", () => {
  test("unknown fields, including the columns Prisma does not know", () => {
    rejects("Annotation", { nope: 1 }, "where.nope", /unknown field "nope" on Annotation \(fields: id, /);
    rejects("Annotation", { embedding: [1] }, "where.embedding", /unknown field "embedding"/);
    rejects("Document", { searchVector: "x" }, "where.searchVector", /unknown field "searchVector"/);
    rejects("Document", { and: [] }, "where.and", /unknown field "and"/);
  });

  test("unsupported operators name the operator and list the supported ones", () => {
    rejects(
      "Annotation",
      { label: { search: "x" } },
      "where.label.search",
      /unknown operator "search" for String field "label" \(supported: equals, not, in/,
    );
    rejects("Annotation", { label: { has: "x" } }, "where.label.has", /unknown operator "has"/);
    rejects(
      "Annotation",
      { page: { contains: "1" } },
      "where.page.contains",
      /unknown operator "contains" for Int field "page"/,
    );
    rejects("Annotation", { page: { mode: "insensitive" } }, "where.page.mode", /mode is only for String fields/);
    rejects(
      "Annotation",
      { label: { mode: "fuzzy" } },
      "where.label.mode",
      /expected "default" or "insensitive", received string/,
    );
    rejects(
      "Annotation",
      { metadata: { path: ["a"], has_key: "x" } },
      "where.metadata.has_key",
      /unknown operator "has_key" for Json field/,
    );
  });

  test("wrong value types read like zod: expected X, received Y", () => {
    rejects("Annotation", { page: { gte: "2" } }, "where.page.gte", /^expected number, received string$/);
    rejects("Annotation", { page: "2" }, "where.page", /^expected number, received string$/);
    rejects("Annotation", { label: 5 }, "where.label", /^expected string, received number$/);
    rejects("Annotation", { page: { lt: Number.NaN } }, "where.page.lt", /received NaN/);
    rejects("Annotation", { page: { lt: Number.POSITIVE_INFINITY } }, "where.page.lt", /received Infinity/);
    rejects("Annotation", { page: { gt: null } }, "where.page.gt", /expected number, received null/);
    rejects("Annotation", { page: { in: "1" } }, "where.page.in", /expected array, received string/);
    rejects("Annotation", { page: { in: [1, "2"] } }, "where.page.in.1", /expected number, received string/);
    rejects(
      "Document",
      { createdAt: { gt: "2020-01-01" } },
      "where.createdAt.gt",
      /expected Date or ISO-8601 date-time string, received string/,
    );
    rejects("Document", { createdAt: new Date(Number.NaN) }, "where.createdAt", /expected Date or ISO-8601/);
    rejects("Annotation", { label: { contains: ["a"] } }, "where.label.contains", /expected string, received array/);
    rejects("Annotation", { label: "a\u0000b" }, "where.label", /NUL character/);
  });

  test("logical operators and the where itself must be objects", () => {
    rejects("Annotation", "label = 'x'", "where", /expected a Annotation where object, received string/);
    rejects("Annotation", [], "where", /received array/);
    rejects("Annotation", { AND: ["x"] }, "where.AND.0", /expected a Annotation where object/);
    rejects("Annotation", { OR: [{ nope: 1 }] }, "where.OR.0.nope", /unknown field/);
    rejects("Annotation", { NOT: 5 }, "where.NOT", /received number/);
  });

  test("relation filters", () => {
    rejects(
      "Document",
      { annotations: { label: "x" } },
      "where.annotations.label",
      /unknown operator "label" for relation "annotations" \(supported: some, every, none\)/,
    );
    rejects("Document", { annotations: null }, "where.annotations", /expected a relation filter object, received null/);
    rejects(
      "Document",
      { annotations: { some: null } },
      "where.annotations.some",
      /expected a Annotation where object, received null/,
    );
    rejects("Annotation", { document: { some: {} } }, "where.document.some", /unknown field "some" on Document/);
    rejects(
      "Annotation",
      { document: { is: { nope: 1 } } },
      "where.document.is.nope",
      /unknown field "nope" on Document/,
    );
    rejects("Annotation", { document: { is: null } }, "where.document.is", /received null/);
  });

  test("JSON filters", () => {
    rejects("Document", { metadata: "x" }, "where.metadata", /expected a JSON filter object/);
    rejects(
      "Document",
      { metadata: { path: "a", equals: 1 } },
      "where.metadata.path",
      /expected an array of keys, received string/,
    );
    rejects(
      "Document",
      { metadata: { path: ["a", 1], equals: 1 } },
      "where.metadata.path.1",
      /expected string, received number/,
    );
    rejects(
      "Document",
      { metadata: { path: ["a"], gt: true } },
      "where.metadata.gt",
      /expected number or string, received boolean/,
    );
    rejects(
      "Document",
      { metadata: { path: ["a"], string_contains: 5 } },
      "where.metadata.string_contains",
      /expected string/,
    );
    rejects(
      "Document",
      { metadata: { path: ["a"], equals: { x: undefined } } },
      "where.metadata.equals",
      /expected a JSON value/,
    );
    rejects(
      "Document",
      { metadata: { path: ["a"], equals: new Date() } },
      "where.metadata.equals",
      /expected a JSON value, received Date/,
    );
    rejects(
      "Document",
      { metadata: { path: ["a"], equals: 1n } },
      "where.metadata.equals",
      /expected a JSON value, received bigint/,
    );
    class JsonNullLike {}
    rejects(
      "Document",
      { metadata: { path: ["a"], equals: new JsonNullLike() } },
      "where.metadata.equals",
      /expected a JSON value/,
    );
    rejects(
      "Document",
      { metadata: { path: ["a"], mode: "INSENSITIVE", string_contains: "x" } },
      "where.metadata.mode",
      /expected "default" or "insensitive"/,
    );
  });

  test("every problem is reported at once", () => {
    const issues = issuesOf("Annotation", { nope: 1, page: { gte: "x" }, label: { search: "y" } });
    assert.deepEqual(
      issues.map((i) => i.path.join(".")),
      ["where.nope", "where.page.gte", "where.label.search"],
    );
  });

  test("the error message carries the issues", () => {
    assert.throws(
      () => parseWhere(schema.Annotation, schema, { page: { gte: "2" } }),
      (err: unknown) =>
        err instanceof InvalidFilterError && /expected number, received string at where\.page\.gte/.test(err.message),
    );
  });

  test("accepted: everything Prisma's WhereInput allows that the compiler supports", () => {
    for (const where of [
      undefined,
      {},
      { label: "x", page: { gte: 1, lte: 3 }, position: null },
      { OR: [{ label: { startsWith: "a", mode: "insensitive" } }, { NOT: { page: { in: [1, 2] } } }] },
      { document: { is: { label: "x" }, isNot: { title: null } } },
      { metadata: { path: ["a", "b"], array_contains: ["x"] } },
      { createdAt: { gte: new Date(), lt: "2030-01-01T00:00:00Z" } },
    ]) {
      parseWhere(schema.Annotation, schema, where);
    }
    parseWhere(schema.Document, schema, { annotations: { some: { page: 1 }, every: {}, none: { label: "x" } } });
  });
});
