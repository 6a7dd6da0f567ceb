// CLI entry: see release/rollback.ts (npm run rollback -- --help).
import { EXIT, main } from "../release/cli";
import { runRollback } from "../release/rollback";

main((argv, io) => runRollback(argv, io), EXIT.usage);
