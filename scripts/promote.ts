// CLI entry: see release/promote.ts (npm run promote -- --help). The source stack is verified
// with verify/ (npm run verify) before the gates. --help and usage errors are answered from
// release/promote.usage.ts; the implementation (and verify's) loads only after that.
import { EXIT, mainLazily } from "../release/cli";
import { PROMOTE } from "../release/promote.usage";

mainLazily(
  PROMOTE,
  () => {
    const { runPromote } = require("../release/promote") as typeof import("../release/promote");
    const { verifyForPromote } = require("../verify/run") as typeof import("../verify/run");
    return (argv, io) => runPromote(argv, io, { verify: verifyForPromote });
  },
  EXIT.usage,
);
