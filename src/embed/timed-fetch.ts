/** A model download that stopped: no response, or no further bytes, within the timeout. */
export class DownloadStalledError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`No data from ${url} for ${Math.round(timeoutMs / 1000)} s`);
    this.name = "DownloadStalledError";
  }
}

/**
 * `fetch` that gives up when the server sends nothing for `timeoutMs`: before the response
 * headers, or between two chunks of the body. A network that drops packets otherwise holds a
 * model load for undici's 300 s header timeout; an idle limit (not a total one) still lets a
 * slow but moving download finish.
 *
 * @example
 * ```ts
 * const response = await timedFetch(30_000)("https://huggingface.co/...");
 * ```
 */
export function timedFetch(timeoutMs: number, base: typeof fetch = fetch) {
  return async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new DownloadStalledError(url, timeoutMs)), timeoutMs);
      timer.unref();
    };
    const stalled = () => controller.signal.reason instanceof DownloadStalledError;
    arm();
    let response: Response;
    try {
      response = await base(input, { ...init, signal: controller.signal });
    } catch (error) {
      clearTimeout(timer);
      throw stalled() ? controller.signal.reason : error;
    }
    if (!response.body) {
      clearTimeout(timer);
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(stream) {
        arm();
        try {
          const { done, value } = await reader.read();
          if (done) {
            clearTimeout(timer);
            stream.close();
          } else stream.enqueue(value);
        } catch (error) {
          clearTimeout(timer);
          stream.error(stalled() ? controller.signal.reason : error);
        }
      },
      cancel(reason) {
        clearTimeout(timer);
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
