// CLI entry: see release/restore.ts (npm run restore -- --help). --help and usage errors are
// answered from release/restore.usage.ts before the implementation loads.
import { EXIT, mainLazily } from "../release/cli";
import { RESTORE } from "../release/restore.usage";

mainLazily(RESTORE, () => (require("../release/restore") as typeof import("../release/restore")).runRestore, EXIT.internal);
