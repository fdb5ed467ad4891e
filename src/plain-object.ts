/**
 * An object literal (or `Object.create(null)`): what a `where`, a `data` or a LlamaIndex metadata
 * object must be. Class instances (Date, Decimal, Buffer) and arrays are not. Every layer that
 * reads user objects checks with this one function, so they agree on what counts.
 */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);
