// Once per vitest run: a folder in which the suites share identical synth evaluations
// (synth/index.ts SYNTH_CACHE_ENV), removed at the end, so no run ever reads another's.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SYNTH_CACHE_ENV } from "../synth/index";

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "enrichment-synth-run-"));
  process.env[SYNTH_CACHE_ENV] = dir;
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
