import type { DataModel, ModelName } from "../schema/model-meta.ts";
import { MODEL_NAMES } from "../schema/model-meta.ts";

/** A relation field a filter may follow: `Annotation.document` (to one), `Document.annotations` (to many). */
export interface RelationField {
  readonly target: ModelName;
  readonly toMany: boolean;
}

/** Relation fields by model and field name. Only relations between Document and Annotation. */
export type RelationMap = Readonly<Record<ModelName, ReadonlyMap<string, RelationField>>>;

/** The relation names of prisma-hybrid-store's own schema.prisma. */
export const DEFAULT_RELATIONS: RelationMap = {
  Document: new Map([["annotations", { target: "Annotation", toMany: true }]]),
  Annotation: new Map([["document", { target: "Document", toMany: false }]]),
};

/** Reads the relation field names from the user's data model (they may have renamed them). */
export function readRelations(dataModel: DataModel): RelationMap {
  const read = (name: ModelName): ReadonlyMap<string, RelationField> => {
    const other: ModelName = name === "Document" ? "Annotation" : "Document";
    const fields = dataModel.models[name]?.fields ?? [];
    const found = new Map<string, RelationField>();
    for (const f of fields) {
      if (f.kind === "object" && f.type === other && MODEL_NAMES.includes(other)) {
        // The foreign key is on Annotation, so Document -> Annotation is the to-many side
        // (the runtime data model does not say `isList` for relation fields).
        found.set(f.name, { target: other, toMany: name === "Document" });
      }
    }
    return found.size > 0 ? found : DEFAULT_RELATIONS[name];
  };
  return { Document: read("Document"), Annotation: read("Annotation") };
}
