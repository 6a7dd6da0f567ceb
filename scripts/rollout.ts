// npm run rollout: see release/rollout.ts and docs/releases.md.
import { main } from "../release/cli";
import { runRollout } from "../release/rollout";

main((argv, io) => runRollout(argv, io));
