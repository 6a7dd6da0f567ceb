// The GitHub workflows parse with GitHub's own parser (@actions/workflow-parser: schema,
// expressions, contexts) without errors, and say what the release process needs them to say.
import * as fs from "node:fs";
import { register } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import type { WorkflowTemplate } from "@actions/workflow-parser";

// The parser imports its JSON schema without an import attribute (it is written for bundlers);
// Node's ESM loader refuses that, so a loader hook adds `type: "json"` for this package only.
const JSON_HOOK = `export async function load(url, context, nextLoad) {
  if (url.endsWith(".json") && url.includes("/@actions/workflow-parser/")) {
    return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: "json" } });
  }
  return nextLoad(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(JSON_HOOK)}`);

const REPO = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(REPO, ".github/workflows");
const STACKS = fs
  .readdirSync(REPO)
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stack): stack is string => !!stack)
  .sort();

type Parser = typeof import("@actions/workflow-parser");
let workflowParser: Parser;

beforeAll(async () => {
  workflowParser = await import("@actions/workflow-parser");
});

interface Parsed {
  errors: string[];
  template?: WorkflowTemplate;
}

async function parse(name: string, content: string): Promise<Parsed> {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = workflowParser;
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || !result.value) return { errors };
  const template = await convertWorkflowTemplate(result.context, result.value);
  return { errors: (template.errors ?? []).map((e) => e.Message), template };
}

async function workflow(file: string) {
  const content = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
  const parsed = await parse(file, content);
  expect(parsed.errors, `${file}: ${parsed.errors.join("; ")}`).toEqual([]);
  const template = parsed.template as WorkflowTemplate;
  const raw = YAML.parse(content) as { jobs: Record<string, { strategy?: { matrix?: { stack?: string[] } }; env?: Record<string, string> }> };
  const steps = (jobId: string) => {
    const job = template.jobs.find((j) => j.id.value === jobId);
    expect(job, `${file} has no job ${jobId}`).toBeDefined();
    return job && job.type === "job" ? job.steps : [];
  };
  const runs = (jobId: string) => steps(jobId).map((s) => ("run" in s ? String(s.run.toString()) : ""));
  const uses = (jobId: string) => steps(jobId).map((s) => ("uses" in s ? s.uses.value : ""));
  return { template, raw, runs, uses, steps };
}

describe("workflows", () => {
  it("holds exactly the four release workflows", () => {
    expect(fs.readdirSync(WORKFLOWS).sort()).toEqual(["deploy-staging.yml", "drift.yml", "preview.yml", "promote.yml"]);
  });

  it("the parser does report broken workflows (so zero errors means something)", async () => {
    const unknownContext = await parse("broken.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secretz.X }}\n");
    expect(unknownContext.errors.join()).toContain("Unrecognized named-value: 'secretz'");
    const badEvent = await parse("event.yml", "on: pull_requests\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n");
    expect(badEvent.errors.length).toBeGreaterThan(0);
    const unknownKey = await parse("bad.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n");
    expect(unknownKey.errors.length).toBeGreaterThan(0);
  });

  it("preview.yml: every pull request runs the tests and previews each stack, with the policy pack when there is one", async () => {
    const { template, raw, runs } = await workflow("preview.yml");
    expect(Object.keys(template.events)).toEqual(["pull_request"]);
    expect(runs("test")).toContain("npm ci");
    expect(runs("test")).toContain("npm test");
    expect(raw.jobs.preview.strategy?.matrix?.stack?.slice().sort()).toEqual(STACKS);
    const preview = runs("preview").join("\n");
    expect(preview).toContain('pulumi preview "${args[@]}"');
    expect(preview).toMatch(/if \[ -d policy \]; then[\s\S]*args\+=\(--policy-pack policy\)/);
    expect(raw.jobs.preview.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
    expect(raw.jobs.preview.env?.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
  });

  it("deploy-staging.yml: a push to main deploys staging, after the tests, then verifies it and fails on a failed check", async () => {
    const { template, runs, raw } = await workflow("deploy-staging.yml");
    expect(template.events.push?.branches).toEqual(["main"]);
    const deployJob = template.jobs.find((j) => j.id.value === "deploy");
    expect(deployJob?.needs?.map((n) => n.value)).toEqual(["test"]);
    expect(runs("deploy").join("\n")).toMatch(/args=\(--stack staging --yes[^)]*\)[\s\S]*pulumi up "\$\{args\[@\]\}"/);
    expect(runs("deploy").join("\n")).not.toContain("production");
    const commands = runs("deploy");
    const up = commands.findIndex((run) => run.includes('pulumi up "${args[@]}"'));
    const verify = commands.findIndex((run) => /^npm run verify -- --stack staging\b/.test(run));
    expect(verify, "a step runs npm run verify -- --stack staging").toBeGreaterThan(up);
    // Its exit code fails the job: the workflow's shell is bash (-eo pipefail), nothing swallows it.
    expect((raw as unknown as { defaults?: { run?: { shell?: string } } }).defaults?.run?.shell).toBe("bash");
    expect(commands[verify]).not.toMatch(/\|\||continue-on-error|set \+e|--skip|--only/);
    const steps = (raw as unknown as { jobs: { deploy: { steps: { run?: string; "continue-on-error"?: boolean }[] } } }).jobs.deploy.steps;
    expect(steps.find((step) => step.run?.startsWith("npm run verify"))?.["continue-on-error"]).toBeUndefined();
  });

  it("drift.yml: scheduled per stack, preview --refresh --expect-no-changes --json into drift-report", async () => {
    const { template, raw, runs } = await workflow("drift.yml");
    expect(template.events.schedule?.length).toBeGreaterThan(0);
    expect(template.events.workflow_dispatch).toBeDefined();
    expect(raw.jobs.drift.strategy?.matrix?.stack?.slice().sort()).toEqual(STACKS);
    const commands = runs("drift");
    const preview = commands.findIndex((run) => run.includes("pulumi preview --refresh --expect-no-changes --json"));
    const report = commands.findIndex((run) => run.includes("npm run drift-report -- preview.json"));
    expect(preview).toBeGreaterThanOrEqual(0);
    expect(commands[preview]).toContain("> preview.json");
    expect(commands[preview]).toContain('--stack "$STACK"');
    expect(report).toBeGreaterThan(preview);
    // The report's exit code (1 drift, 2 not a preview) is what fails the job: nothing swallows it.
    expect(commands[report]).not.toMatch(/\|\||continue-on-error|set \+e/);
    expect(raw.jobs.drift.env?.STACK).toBe("${{ matrix.stack }}");
  });

  it("promote.yml: manual, runs npm run promote, commits the stack file, then deploys production", async () => {
    const { template, runs, uses, steps } = await workflow("promote.yml");
    expect(Object.keys(template.events)).toEqual(["workflow_dispatch"]);
    const inputs = template.events.workflow_dispatch?.inputs ?? {};
    expect(Object.keys(inputs).sort()).toEqual(["dry_run", "from", "prometheus_url", "to"]);
    expect(inputs.from.default).toBe("staging");
    expect(inputs.to.default).toBe("production");
    expect(inputs.dry_run.type).toBe("boolean");

    const commands = runs("promote");
    const promote = commands.findIndex((run) => run.includes('npm run promote -- "${args[@]}"'));
    const commit = commands.findIndex((run) => run.includes("git push origin HEAD:main"));
    const deploy = commands.findIndex((run) => run.includes('pulumi up --stack "$TO"'));
    expect(commands[promote]).toContain("--dry-run");
    // promote verifies staging (pulumi stack output and its Docker host) first: logged in before, dry run or not, and never skipped.
    const login = commands.findIndex((run) => run.includes("pulumi login"));
    expect(login).toBeGreaterThanOrEqual(0);
    expect(login).toBeLessThan(promote);
    expect(uses("promote").indexOf("pulumi/actions@v6")).toBeLessThan(promote);
    const loginStep = steps("promote")[login]!;
    expect(loginStep.if?.toString() ?? "").not.toContain("dry_run");
    expect(commands[promote]).not.toContain("--skip-verify");
    expect(commands[commit]).toContain('git add -- "$file"');
    expect([promote, commit, deploy].every((i) => i >= 0)).toBe(true);
    expect(promote).toBeLessThan(commit);
    expect(commit).toBeLessThan(deploy);
    expect(uses("promote")).toContain("pulumi/actions@v6");
  });
});
