// `npm run bench`: see scripts/bench.run.ts (npm run bench -- --help). --help and usage errors are
// answered from scripts/bench.usage.ts before the implementation (the program, the Pulumi SDK) loads.
import { mainLazily } from "../release/cli";
import { BENCH } from "./bench.usage";

mainLazily(BENCH, () => (require("./bench.run") as typeof import("./bench.run")).runBench);
