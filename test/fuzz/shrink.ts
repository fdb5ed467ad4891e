/**
 * Smaller variants of a where object, simplest first: drop a key, drop an array item, replace
 * a subtree by one of its children. Values that are not plain objects or arrays stay as they are.
 */
export function* smaller(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield value.filter((_, j) => j !== i);
    for (let i = 0; i < value.length; i++) {
      for (const s of smaller(value[i])) yield value.map((v, j) => (j === i ? s : v));
    }
    return;
  }
  if (!isPlain(value)) return;
  const keys = Object.keys(value);
  for (const key of keys) {
    const { [key]: _, ...rest } = value;
    yield rest;
  }
  for (const key of keys) {
    const child = value[key];
    // Hoist: `{ AND: [x] }` -> x, `{ NOT: x }` -> x, `{ document: { is: x } }` -> `{ document: x }`.
    if (isPlain(child) && ["AND", "OR", "NOT"].includes(key)) yield child;
    if (Array.isArray(child) && ["AND", "OR", "NOT"].includes(key)) for (const c of child) if (isPlain(c)) yield c;
    for (const s of smaller(child)) yield { ...value, [key]: s };
  }
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** Shrinks `value` while `fails` holds, greedily, up to `budget` checks. */
export async function shrink(
  value: unknown,
  fails: (candidate: unknown) => Promise<boolean>,
  budget = 400,
): Promise<unknown> {
  let current = value;
  let checks = 0;
  let improved = true;
  while (improved && checks < budget) {
    improved = false;
    for (const candidate of smaller(current)) {
      if (++checks > budget) break;
      if (await fails(candidate)) {
        current = candidate;
        improved = true;
        break;
      }
    }
  }
  return current;
}
