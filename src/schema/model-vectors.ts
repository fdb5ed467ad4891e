import { InvalidArgumentError } from "../errors.ts";
import type { ModelMeta, VectorMeta } from "./model-meta.ts";

// One view per vector, made once: plans remember row estimates by ModelMeta identity.
const views = new WeakMap<ModelMeta, Map<VectorMeta, ModelMeta>>();

/** The model as one of its vectors sees it: its flat vector fields are `vector`'s. */
function viewOf(model: ModelMeta, vector: VectorMeta): ModelMeta {
  if (vector === model.vectors[0]) return model;
  let byVector = views.get(model);
  if (!byVector) {
    byVector = new Map();
    views.set(model, byVector);
  }
  let view = byVector.get(vector);
  if (!view) {
    view = { ...model, ...vector };
    byVector.set(vector, view);
  }
  return view;
}

/**
 * The model with the vector a search names in `vectorField` (a marked vector field's name). A
 * model with one marked vector needs no name; one with several needs one, so that a search
 * never runs on a vector the caller did not mean.
 *
 * @throws InvalidArgumentError naming the model's vector fields when `name` is missing (on a
 *   model with several) or is not one of them.
 */
export function vectorOf(model: ModelMeta, name: unknown): ModelMeta {
  const names = model.vectors.map((v) => v.vectorField);
  const choices = names.map((n) => JSON.stringify(n)).join(" or ");
  if (name === undefined) {
    if (model.vectors.length === 1) return model;
    throw new InvalidArgumentError(
      `${model.name} has ${names.length} marked vector fields: pass vectorField: ${choices} to say which one to search`,
      [{ path: ["vectorField"], message: `required on ${model.name}: expected ${choices}` }],
    );
  }
  const vector = model.vectors.find((v) => v.vectorField === name);
  if (vector) return viewOf(model, vector);
  throw new InvalidArgumentError(
    `vectorField ${JSON.stringify(name)} is not a marked vector field of ${model.name}; expected ${choices}`,
    [{ path: ["vectorField"], message: `expected ${choices}` }],
  );
}

/** The model as each of its vectors sees it, in schema order (the save hook and `$reembed` do every one). */
export function eachVector(model: ModelMeta): readonly ModelMeta[] {
  return model.vectors.map((v) => viewOf(model, v));
}

/** The write-only payload fields of every vector of every model (never returned in a search row). */
export function payloadFields(models: Iterable<ModelMeta>): ReadonlySet<string> {
  return new Set([...models].flatMap((m) => m.vectors.map((v) => v.payloadField.name)));
}
