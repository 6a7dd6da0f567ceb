// Runs one evaluation in this (fresh) process and prints it as JSON on stdout.
import { evaluate, EvaluateOptions } from "./evaluate";

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}") as EvaluateOptions;
  try {
    const evaluation = await evaluate(options);
    process.stdout.write(JSON.stringify({ ok: true, evaluation }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, message: error instanceof Error ? error.message : String(error) }));
  }
}

void main();
