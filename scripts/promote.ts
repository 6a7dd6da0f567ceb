// CLI entry: see release/promote.ts (npm run promote -- --help). The source stack is verified
// with verify/ (npm run verify) before the gates. --help and usage errors are answered from
// release/promote.usage.ts; the implementation loads only after that, and verify's when it runs.
import { EXIT, mainLazily } from "../release/cli";
import { PROMOTE } from "../release/promote.usage";
import type { VerifySource } from "../release/promote";

mainLazily(
  PROMOTE,
  () => {
    const { runPromote } = require("../release/promote") as typeof import("../release/promote");
    // verify loads only when a promotion verifies (not under --skip-verify, nor before a refusal).
    const verify: VerifySource = (request) => (require("../verify/run") as typeof import("../verify/run")).verifyForPromote(request);
    return (argv, io) => runPromote(argv, io, { verify });
  },
  EXIT.usage,
);
