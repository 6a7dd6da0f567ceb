// CLI entry: see verify/run.ts (npm run verify -- --help).
import { main } from "../release/cli";
import { runVerify } from "../verify/run";

main((argv, io) => runVerify(argv, io));
