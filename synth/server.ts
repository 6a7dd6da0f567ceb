// A long-lived synth process (synth/index.ts starts one per test worker): it loads tsx, the Pulumi
// SDK and the providers' SDKs once, then evaluates one request after another, each as a fresh
// process would. Starting them is most of a one-shot child's cost (synth/child.ts).
//
// What makes an evaluation here equal to one in a fresh process:
// - the program's own modules (everything of the repository's outside node_modules) are loaded
//   afresh each time, so no module-level state carries over;
// - setMocks resets the SDK's process-global state (monitor, stack resource, options), and
//   evaluate() replaces the SDK's whole config map;
// - the environment is the requester's, as a fresh child would inherit it, and what the program
//   does at exit for an evaluation (config/reads.ts) it does after each one here;
// - after an evaluation that failed once resources had registered, the process exits (its
//   continuations could still register more): synth/index.ts starts another.
// tests/synth.server.test.ts compares its evaluations with fresh processes'.
import * as path from "node:path";
import { EVALUATION_DONE_EVENT } from "../config/reads";
import { evaluate, type EvaluateOptions, type Evaluation, REPO_ROOT, requireProgram, withoutStackTraces } from "./evaluate";

// A reply carries an evaluation's error by its message: this process never needs a stack trace.
withoutStackTraces();

export interface SynthRequest {
  id: number;
  options: EvaluateOptions;
  env: Record<string, string>;
}

/** A failed evaluation's reply says whether this process serves on (see serve()). */
export type SynthReply = { id: number; ok: true; evaluation: Evaluation } | { id: number; ok: false; message: string; servesOn: boolean };

const NODE_MODULES = path.join(REPO_ROOT, "node_modules") + path.sep;

const isProgramModule = (file: string) => file.startsWith(REPO_ROOT + path.sep) && !file.startsWith(NODE_MODULES);

function forgetProgramModules(): void {
  for (const file of Object.keys(require.cache)) if (isProgramModule(file)) delete require.cache[file];
  // A module keeps the modules it required as children: ours would keep every evaluation's program alive.
  module.children = module.children.filter((child) => !isProgramModule(child.filename));
}

function useEnvironment(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
}

async function serve(request: SynthRequest): Promise<SynthReply> {
  useEnvironment(request.env);
  forgetProgramModules();
  let registered = 0;
  try {
    const evaluation = await evaluate({ ...request.options, onRegister: () => (registered += 1) }, requireProgram);
    return { id: request.id, ok: true, evaluation };
  } catch (error) {
    // A config the schema refuses fails before anything registers: nothing of it can still be
    // running, so this process serves on. After a registration, it exits (see the top).
    return { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error), servesOn: registered === 0 };
  } finally {
    // What a one-evaluation process does at exit (config/reads.ts writes the settings read).
    process.emit(EVALUATION_DONE_EVENT as "exit", 0);
  }
}

let queue = Promise.resolve();
process.on("message", (request: SynthRequest) => {
  queue = queue.then(async () => {
    const reply = await serve(request);
    process.send?.(reply);
    if (!reply.ok && !reply.servesOn) process.disconnect();
  });
});
// The requester is gone (or sent a failed evaluation's reply): nothing more to do.
process.on("disconnect", () => process.exit(0));
