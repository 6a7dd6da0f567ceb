// Generated documentation: docs/metrics-contract.md from the contract and docs/runbooks/*.md from
// the alert catalog (rendered with the default thresholds). tests/monitoring.docs.test.ts fails
// when the committed files differ; regenerate with `npx tsx planes/monitoring/docs.ts`.
import * as fs from "node:fs";
import * as path from "node:path";
import { ThresholdsSchema } from "../../config/monitoring";
import { TargetsSchema } from "../../config/targets";
import { ALERT_AREAS, AlertRule, renderRule } from "./alerts";
import { renderContractDoc } from "../../facts/metricsContract";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const RUNBOOK_DIR = "docs/runbooks";
export const CONTRACT_DOC = "docs/metrics-contract.md";

const GENERATED_NOTE =
  "<!-- Generated from planes/monitoring/alerts by planes/monitoring/docs.ts; edit the runbook in the alert's area file and run `npx tsx planes/monitoring/docs.ts`. -->";

function alertBlock(rule: AlertRule, area: string): string[] {
  const rendered = renderRule(rule, area, "");
  return [
    `- **${rule.severity}**${rule.for ? `, after ${rule.for}` : ", at once"}: \`${rule.expr}\``,
    `  - labels: ${Object.entries(rendered.labels).map(([k, v]) => `\`${k}=${v}\``).join(", ")}`,
  ];
}

/** Relative path -> content of every generated runbook (and the runbook index). */
export function renderRunbooks(): Record<string, string> {
  const context = { targets: TargetsSchema.parse(undefined), thresholds: ThresholdsSchema.parse(undefined) };
  const files: Record<string, string> = {};
  const index: string[] = [
    "# Runbooks",
    "",
    GENERATED_NOTE,
    "",
    "One page per alert. Every alert's `runbook_url` annotation links here; each page says what the alert",
    "means, what to check and what to do. Thresholds shown are the defaults (`enrichment:monitoring.thresholds`",
    "and `enrichment:targets` may change them per stack).",
    "",
    "| alert | area | severities | page |",
    "|---|---|---|---|",
  ];
  for (const area of ALERT_AREAS) {
    const rules = area.rules(context);
    for (const [slug, runbook] of Object.entries(area.runbooks)) {
      const using = rules.filter((rule) => rule.runbook === slug);
      if (using.length === 0) throw new Error(`runbook ${slug} of area ${area.area} is used by no rule`);
      files[`${RUNBOOK_DIR}/${slug}.md`] = [
        `# ${runbook.title}`,
        "",
        GENERATED_NOTE,
        "",
        `Area: ${area.title}. ${runbook.meaning}`,
        "",
        "## Alert",
        "",
        ...using.flatMap((rule) => alertBlock(rule, area.area)),
        "",
        `Summary: ${using[0]!.summary}`,
        "",
        "## Check",
        "",
        ...runbook.check.map((step, i) => `${i + 1}. ${step}`),
        "",
        "## Act",
        "",
        ...runbook.act.map((step) => `- ${step}`),
        "",
        "`<prefix>` is the stack's name prefix (`enrichment:namePrefix`, by default the stack name).",
        "",
      ].join("\n");
      index.push(`| ${runbook.title} | ${area.area} | ${[...new Set(using.map((r) => r.severity))].join(", ")} | [${slug}](${slug}.md) |`);
    }
  }
  files[`${RUNBOOK_DIR}/README.md`] = `${index.join("\n")}\n`;
  return files;
}

/** Every generated doc: relative path -> content. */
export function renderDocs(): Record<string, string> {
  return { [CONTRACT_DOC]: renderContractDoc(), ...renderRunbooks() };
}

if (require.main === module) {
  for (const [relative, content] of Object.entries(renderDocs())) {
    const target = path.join(REPO_ROOT, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
  console.log(`wrote ${Object.keys(renderDocs()).length} files under docs/`);
}
