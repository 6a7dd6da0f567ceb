// `npm run synth`: see scripts/synth.run.ts (npm run synth -- --help). --help and usage errors are
// answered from scripts/synth.usage.ts before the implementation (the program, the Pulumi SDK) loads.
import { mainLazily } from "../release/cli";
import { SYNTH } from "./synth.usage";

mainLazily(SYNTH, () => (require("./synth.run") as typeof import("./synth.run")).runSynth);
