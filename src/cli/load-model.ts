import { MiniLmEmbedder, ModelNotFoundError } from "../index.ts";
import { resolveMiniLmOptions } from "../tooling/index.ts";

/** How long the Hugging Face Hub may take to answer before it counts as unreachable. */
const HUB_PROBE_MS = 5000;

/**
 * The embedding model of a command, loaded: from `modelDir` or PHS_MODEL_DIR when given;
 * otherwise from the download cache, and only if it is not there, from the Hugging Face Hub.
 * The hub is probed first (5 s at most): a network that drops packets must fail fast, not
 * after the download's own five-minute timeout, which would also hold every later model load.
 *
 * @throws ModelNotFoundError naming the places looked in.
 */
export async function loadCliEmbedder(
  modelDir: string | undefined,
  announce: (line: string) => void,
): Promise<MiniLmEmbedder> {
  const dir = modelDir ?? nonEmpty(process.env.PHS_MODEL_DIR);
  if (dir !== undefined) {
    const local = new MiniLmEmbedder({ modelDir: dir });
    await local.ready();
    return local;
  }
  const cached = new MiniLmEmbedder({ allowRemote: false });
  try {
    await cached.ready();
    return cached;
  } catch (error) {
    if (!(error instanceof ModelNotFoundError) || !resolveMiniLmOptions({}).location.allowRemote) throw error;
    // Loaded already: the model load imports transformers.js before it looks for the files.
    const hub = (await import("@huggingface/transformers")).env.remoteHost;
    try {
      await fetch(hub, { method: "HEAD", signal: AbortSignal.timeout(HUB_PROBE_MS) });
    } catch (cause) {
      const local = error.searched.filter((place) => !place.startsWith("Hugging Face Hub"));
      throw new ModelNotFoundError(error.model, [...local, `Hugging Face Hub ${hub} (unreachable)`], { cause });
    }
    announce(`Downloading ${error.model} from ${hub} (about 23 MB, once; then it is cached)...`);
    const remote = new MiniLmEmbedder();
    await remote.ready();
    return remote;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** The line a command prints before it embeds: which model its vectors come from. */
export function modelLine(embedder: MiniLmEmbedder): string {
  return `Embedding model: ${embedder.modelId}`;
}
