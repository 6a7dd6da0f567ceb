// Every e2e check step, in the order the e2e runs them (tests/e2e/singleHost.ts runs this list). The
// checks of the live stack are `npm run verify` (verify/catalog.ts), one step; the others are
// e2e-only scenarios. Issue 12's `backup` and `restore` come first: backup starts the MinIO that
// the off-host copier needs, so verify then finds a fresh off-host copy (backup-freshness), and
// restore runs the restore test it checks. After verify: its test alert arriving at the sink, the
// Ollama stand-in's count of pulls, and the four "verify detects ..." steps (tests/e2e/scenarios/
// verify.ts: break the stack, verify must fail naming the check, repair, verify must pass). Each
// top-level module of tests/e2e/checks/ exports `check`; a test (tests/verify.checks.test.ts)
// keeps this list and the folder in step.
import type { E2ECheck } from "../../context";
import { check as backup } from "../backup";
import { check as restore } from "../restore";
import { check as verify } from "../verify";
import { check as alertSink } from "../alert-sink";
import { check as modelPulls } from "../model-pulls";
import { VERIFY_SCENARIO_STEPS } from "../../scenarios/verify";

export const ALL_CHECKS: readonly E2ECheck[] = [backup, restore, verify, alertSink, modelPulls, ...VERIFY_SCENARIO_STEPS];
