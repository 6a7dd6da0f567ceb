// CLI entry: see verify/run.ts (npm run verify -- --help). --help and usage errors are answered
// from verify/run.usage.ts before the checks (dockerode, mongodb, ...) load.
import { mainLazily } from "../release/cli";
import { VERIFY } from "../verify/run.usage";

mainLazily(VERIFY, () => (require("../verify/run") as typeof import("../verify/run")).runVerify);
