// npm run rollout: see release/rollout.ts and docs/releases.md. --help and usage errors are
// answered from release/rollout.usage.ts before the implementation loads.
import { mainLazily } from "../release/cli";
import { ROLLOUT } from "../release/rollout.usage";

mainLazily(ROLLOUT, () => (require("../release/rollout") as typeof import("../release/rollout")).runRollout);
