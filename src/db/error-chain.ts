/**
 * The objects inside a driver or Prisma error, most specific first: the error itself, its
 * `cause` chain and Prisma's `meta.driverAdapterError` (where P2010 and friends keep the
 * driver's error), each once.
 */
export function* errorChain(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    yield o;
    const meta = o.meta as { driverAdapterError?: unknown } | undefined;
    queue.push(meta?.driverAdapterError, o.cause);
  }
}
