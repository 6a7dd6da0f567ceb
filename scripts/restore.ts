// CLI entry: see release/restore.ts (npm run restore -- --help).
import { EXIT, main } from "../release/cli";
import { runRestore } from "../release/restore";

main((argv, io) => runRestore(argv, io), EXIT.internal);
