// CLI entry: see release/rollback.ts (npm run rollback -- --help). --help and usage errors are
// answered from release/rollback.usage.ts before the implementation loads.
import { EXIT, mainLazily } from "../release/cli";
import { ROLLBACK } from "../release/rollback.usage";

mainLazily(ROLLBACK, () => (require("../release/rollback") as typeof import("../release/rollback")).runRollback, EXIT.usage);
