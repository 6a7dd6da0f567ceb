// CLI entry: see release/promote.ts (npm run promote -- --help).
import { EXIT, main } from "../release/cli";
import { runPromote } from "../release/promote";

main((argv, io) => runPromote(argv, io), EXIT.usage);
