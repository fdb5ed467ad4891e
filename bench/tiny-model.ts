import { repoPath } from "./report.ts";

/** The package's demo model (models/tiny-minilm, see its README): fast, real tokenizer, not semantic. */
export const tinyModelDir = repoPath("models/tiny-minilm");
