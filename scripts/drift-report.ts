// CLI entry: see release/drift.ts (npm run drift-report -- --help).
import { main } from "../release/cli";
import { DRIFT_EXIT, runDriftReport } from "../release/drift";

main((argv, io) => runDriftReport(argv, io), DRIFT_EXIT.notAPreview);
