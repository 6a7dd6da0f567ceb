// CLI entry: see release/drift.ts (npm run drift-report -- --help). --help and usage errors are
// answered from release/drift.usage.ts before the implementation (and zod) loads.
import { mainLazily } from "../release/cli";
import { DRIFT_EXIT, DRIFT_REPORT } from "../release/drift.usage";

mainLazily(DRIFT_REPORT, () => (require("../release/drift") as typeof import("../release/drift")).runDriftReport, DRIFT_EXIT.notAPreview);
