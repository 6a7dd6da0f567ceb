// `npm run rollout`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/rollout.ts answers --help and usage errors with it before it loads release/rollout.ts).
import { defineCommand, EXIT_TABLE } from "./cli";

export const ROLLOUT_USAGE = `Usage: npm run rollout -- --stack <stack> --to <version> [options]

Moves release <version> onto the stack in steps (default: enrichment:rollout.steps, the seed's
10 % for 1 h, 25 % for 2 h, 50 % for 2 h, 100 %). Each step writes the candidate's share of the
workers (and of the replicas of each agent enrichment:canary.agents names) into the stack file,
runs \`pulumi up\`, waits the step's pause and analyses the canary: against the targets, and
against the stable release over the same window. Pass: the next step. Fail: the canary goes
back to zero and \`pulumi up\` (abort). Inconclusive: the step runs its pause again, up to
--max-extensions times, then the rollout aborts. At 100 % the candidate becomes
enrichment:release (the replaced one recorded in releaseHistory, for npm run rollback) and
enrichment:canary is removed.

State, lock and audit are kept in <state dir>/<stack>.{state.json,lock,audit.jsonl}: a run that
was killed resumes when the same command runs again; two rollouts of one stack at once are
refused. Every \`pulumi up\` carries the step, the analyses and the decisions in its message
(\`pulumi stack history\`).

The candidate release (its full block) comes from, in this order: --from <stack> (that stack
file's enrichment:release), --release-file <file>, or the stack's own enrichment:canary block
naming <version> (its images over the current release's).

Options:
  --stack <stack>            the stack to roll out on (e.g. production)
  --to <version>             the candidate release's version
  --from <stack>             take the candidate from Pulumi.<stack>.yaml's enrichment:release (e.g. staging)
  --release-file <file>      take the candidate from a YAML file holding a release block
  --steps <list>             shares in percent, rising to 100, each with an optional pause:
                             10,25,50,100 or 10:1h,25:2h,50:2h,100 (default: rollout.steps)
  --pause <duration>         the pause of every step that names none (default: rollout.steps')
  --window <duration>        each analysis' range (default: rollout.windowSeconds, else the step's pause)
  --margin <share>           how much worse than stable the canary may be: 0.1 or 10% (default: rollout.margin)
  --max-extensions <n>       inconclusive analyses per step before aborting (default: rollout.maxExtensions)
  --abort                    abort the rollout in progress: canary to zero, pulumi up
  --force-unlock             take the stack's rollout lock even when its owner cannot be shown gone
  --dry-run                  print the plan, the first step's diff and its pulumi preview; change nothing
  --dir <directory>          where Pulumi.<stack>.yaml is (default: current directory)
  --stack-file <file>        the stack file itself (instead of --dir; pulumi gets --config-file)
  --project <directory>      the Pulumi project (Pulumi.yaml) (default: the stack file's directory)
  --pulumi <path>            the Pulumi CLI (default: pulumi on PATH)
  --state-dir <directory>    state, lock and audit (default: .rollout beside the stack file)
  --prometheus-url <url>     the stack's Prometheus (default: its promotion.prometheusUrl)
  --timeout <duration>       per-query timeout (default: 10s)
  --up-timeout <duration>    how long one pulumi up (or preview) may run (default: 30m); past it
                             the CLI gets SIGINT (it cancels cleanly) and the step fails: the
                             rollout aborts, and the abort's own up has the same limit
  -h, --help                 show this help

A pause must hold at least two of the stack's scrape intervals and a window at least four
(monitoring.scrapeInterval): a rate needs two samples in its range.

${EXIT_TABLE}
  (rollout: 0 the candidate is the release, nothing to do, a dry run, or an --abort done;
  1 aborted because a check failed or pulumi up failed, the stable release restored;
  2 aborted because the analyses stayed inconclusive, the stable release restored;
  3 also when another rollout holds the stack's lock, or a plan the replicas cannot honour;
  4 the stack's Prometheus cannot be reached before the first step: nothing was changed)`;

export const ROLLOUT = defineCommand({
  usage: ROLLOUT_USAGE,
  options: {
    stack: { type: "string" },
    to: { type: "string" },
    from: { type: "string" },
    "release-file": { type: "string" },
    steps: { type: "string" },
    pause: { type: "string" },
    window: { type: "string" },
    margin: { type: "string" },
    "max-extensions": { type: "string" },
    abort: { type: "boolean", default: false },
    "force-unlock": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    dir: { type: "string" },
    "stack-file": { type: "string" },
    project: { type: "string" },
    pulumi: { type: "string" },
    "state-dir": { type: "string" },
    "prometheus-url": { type: "string" },
    timeout: { type: "string" },
    "up-timeout": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
