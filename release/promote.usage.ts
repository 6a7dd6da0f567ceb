// `npm run promote`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/promote.ts answers --help and usage errors with it before it loads release/promote.ts).
import { defineCommand, EXIT_TABLE } from "./cli";

export const PROMOTE_USAGE = `Usage: npm run promote -- --from <stack> --to <stack> [options]

Verifies the source stack (npm run verify: every check of docs/verify.md against the live
stack), then checks the promotion gates against its Prometheus and, when both pass, writes the
source stack's release block into Pulumi.<to>.yaml (recording the replaced release in
releaseHistory) and prints the diff. Run \`pulumi up --stack <to>\` afterwards to deploy it.

Options:
  --from <stack>            stack whose release is promoted and whose metrics are checked (e.g. staging)
  --to <stack>              stack whose file receives the release (e.g. production)
  --dry-run                 check the gates and print the diff, write nothing
  --prometheus-url <url>    the source stack's Prometheus (default: its promotion.prometheusUrl)
  --count <n>               measurements per gate (default: promotion.samples.count)
  --interval <duration>     time between measurements, e.g. 60s, 1m (default: promotion.samples.intervalSeconds)
  --failure-limit <n>       failed measurements tolerated per gate (default: promotion.samples.failureLimit)
  --window <duration>       range of the rate and ratio gates (default: 1h)
  --at <RFC3339 time>       replay: evaluate the first measurement at this past time and advance
                            the clock by --interval without waiting (for replays and tests)
  --timeout <duration>      per-query timeout (default: 10s)
  --dir <directory>         where the Pulumi.<stack>.yaml files are (default: current directory)
  --verify-outputs <file>   verify the source stack with these saved outputs (\`pulumi stack output
                            --json --show-secrets\`) instead of asking Pulumi
  --skip-verify             do not verify the source stack (emergencies only: the report says so, loudly)
  -h, --help                show this help

Prometheus is asked once before any measurement: when it cannot be reached the command stops
at once (exit 4) and says what to check, instead of waiting through every measurement round.

${EXIT_TABLE}
  (promote: 0 promoted, dry run passed or nothing to promote; 1 the source stack failed verify or
  a gate failed; 2 too little data, or a verify check could not run; 4 the source stack, its
  outputs or its Prometheus could not be reached)`;

export const PROMOTE = defineCommand({
  usage: PROMOTE_USAGE,
  options: {
    from: { type: "string" },
    to: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    "prometheus-url": { type: "string" },
    count: { type: "string" },
    interval: { type: "string" },
    "failure-limit": { type: "string" },
    window: { type: "string" },
    at: { type: "string" },
    timeout: { type: "string" },
    dir: { type: "string" },
    "verify-outputs": { type: "string" },
    "skip-verify": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
