// `npm run verify`'s flags: its --help text and option spec, in a module that loads nothing heavy
// (scripts/verify.ts answers --help and usage errors with it before it loads verify/run.ts and its checks).
import { defineCommand, EXIT_TABLE } from "../release/cli";
import { CHECK_NAMES } from "./checkNames";

export const VERIFY_USAGE = `Usage: npm run verify -- --stack <name> [options]

Checks that the deployed stack works: its containers, ports, secret files, the NSQ topic, the
models, the MongoDB indexes, Prometheus' targets and rules, Alertmanager, the backups' freshness,
Grafana's dashboards and the edge (TLS against the stack's CA, routing, CORS, the rate limit).
Each check says what it looked at, the result, and what to do (docs/verify.md). Read-only, except
--send-test-alert and one probe document in the scratch collection verify_probe, removed again.

The stack is what \`pulumi stack output --json --show-secrets --stack <name>\` and its stack file
(Pulumi.<name>.yaml) describe; its Docker host is enrichment:docker.host, reached as the Pulumi
Docker provider reaches it (unix socket, tcp://, ssh:// with enrichment:docker.sshOpts). On a
remote host, ports published on its loopback are reached through the engine (a probe container).

Options:
  --stack <name>         the stack (e.g. staging)
  --only <a,b,...>       run only these checks (${CHECK_NAMES.join(", ")})
  --json                 print the report as JSON on stdout (progress goes to stderr)
  --send-test-alert      also post one test alert and wait for its delivery to a receiver
  --outputs <file>       a saved \`pulumi stack output --json --show-secrets\` instead of asking Pulumi
                         (it holds secrets: keep it out of the repository)
  --cwd <dir>            the Pulumi project directory (passed to pulumi; Pulumi.<name>.yaml is read there)
  --config-file <file>   the stack file to read instead of <cwd>/Pulumi.<name>.yaml
  --docker-host <url>    reach the engine here instead of enrichment:docker.host (e.g. a tunnel)
  --via-engine           reach published ports through the engine's probe even on a local engine
  -h, --help             show this help

The Pulumi CLI is \`pulumi\` on PATH, or $PULUMI_CLI.

${EXIT_TABLE}
  (verify: 1 a check failed; 2 a check could not run and none failed; 4 the Docker engine or the
  stack's outputs could not be reached)`;

export const VERIFY = defineCommand({
  usage: VERIFY_USAGE,
  options: {
    stack: { type: "string" },
    only: { type: "string" },
    json: { type: "boolean", default: false },
    "send-test-alert": { type: "boolean", default: false },
    outputs: { type: "string" },
    cwd: { type: "string" },
    "config-file": { type: "string" },
    "docker-host": { type: "string" },
    "via-engine": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
