import { parseCommandArgs } from "../args.ts";
import { type Command, print } from "../command.ts";
import { BIN } from "../report-error.ts";

const spec = { command: "demo", options: { "model-dir": { type: "string" } } } as const;

export const demoCommand: Command = {
  name: "demo",
  summary: "start a throwaway database, ingest sample texts and run example searches",
  help: `Usage: ${BIN} demo [--model-dir DIR]

Starts the embedded database in a temporary directory, applies the migrations, ingests the
sample corpus (sample/: contracts, cooking, astronomy, programming; labels from the folder
names) and runs vector, full-text and hybrid searches with filters. Removes everything after.

The embedding model is all-MiniLM-L6-v2: from --model-dir or PHS_MODEL_DIR, else the download
cache or the Hugging Face Hub (downloaded once, about 23 MB). When it cannot be loaded, the
demo says why and runs on a tiny bundled test model whose results are not semantic.

Options:
  --model-dir DIR   local copy of the model (config.json, tokenizer.json,
                    tokenizer_config.json, onnx/model_quantized.onnx)
  -h, --help        show this help`,

  async run(argv) {
    const { values } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    // Loaded here, not at the top: --help and usage errors stay fast.
    await (await import("../prisma-runtime.ts")).checkPrismaRuntime();
    const { runDemo } = await import("../demo-run.ts");
    return runDemo({ modelDir: values["model-dir"] });
  },
};
