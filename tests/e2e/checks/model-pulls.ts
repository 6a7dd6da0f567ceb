// Each model pull ran exactly once: one per tag of release.models. The Ollama stand-in
// (tests/e2e/standins/ollama.go) appends `<time>\t<tag>` to pulls.log in its models directory (in
// the model volume) on every pull; the file is read through the archive API, and `ollama list`
// must show every tag.
import type { E2ECheck, E2EContext } from "../context";
import { describeExec, exec, readFileText, serviceContainer, guarded } from "./support/docker";

/** `llama3.2` -> `llama3.2:latest`, as Ollama names a tag without a version. */
export const normalizeTag = (tag: string) => (tag.includes(":") ? tag : `${tag}:latest`);

/** Pulls per tag from pulls.log (`<RFC 3339 time>\t<tag>` per line). */
export function pullCounts(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of log.split("\n")) {
    const tag = line.split("\t")[1]?.trim();
    if (tag) counts.set(normalizeTag(tag), (counts.get(normalizeTag(tag)) ?? 0) + 1);
  }
  return counts;
}

/** Tags in `ollama list` output (first column, header skipped). */
export function listedTags(output: string): string[] {
  return output
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter(Boolean)
    .map(normalizeTag);
}

/** Problems: a configured tag pulled other than once or not listed, a tag pulled that no model names. */
export function pullProblems(models: Record<string, string>, counts: Map<string, number>, listed: string[] | undefined): string[] {
  const problems: string[] = [];
  const expected = new Map(Object.entries(models).map(([name, tag]) => [normalizeTag(tag), name]));
  for (const [tag, name] of expected) {
    const n = counts.get(tag) ?? 0;
    if (n !== 1) problems.push(`${name} (${tag}) was pulled ${n} times, expected exactly once`);
    if (listed && !listed.includes(tag)) problems.push(`${name} (${tag}) is not in \`ollama list\``);
  }
  for (const [tag, n] of counts) if (!expected.has(tag)) problems.push(`${tag} was pulled ${n} time(s) but release.models does not name it`);
  return problems;
}

export async function checkModelPulls(ctx: E2EContext) {
  const models = ctx.settings.release.models;
  const ollama = await serviceContainer(ctx, "ollama");
  if (!ollama) return { ok: false, detail: `no container with org.enrichment.service=ollama in stack ${ctx.stack}` };

  // The models directory: OLLAMA_MODELS when the container sets it, else <home>/.ollama/models,
  // home being where the model volume is mounted (/root/.ollama for the image's root user).
  const env = Object.fromEntries((ollama.info.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const volumeMount = ollama.info.Mounts.find((m) => m.Type === "volume" && m.Destination.endsWith("/.ollama"));
  const modelsDir = env.OLLAMA_MODELS ?? (volumeMount ? `${volumeMount.Destination}/models` : "/root/.ollama/models");
  const logPath = `${modelsDir}/pulls.log`;
  const log = await readFileText(ctx.docker, ollama.name, logPath);
  if (log === null) {
    return { ok: false, detail: `${ollama.name} has no ${logPath}: no pull ran, or the image is not the e2e stand-in (which records each pull there); expected one pull per release.models tag (${Object.values(models).join(", ")})` };
  }
  const counts = pullCounts(log);

  const cmd = ["ollama", "list"];
  const list = await exec(ctx.docker, ollama.name, cmd, { timeoutMs: 20_000 });
  const problems = pullProblems(models, counts, list.exitCode === 0 ? listedTags(list.stdout) : undefined);
  if (list.exitCode !== 0) problems.push(describeExec(cmd, list));
  const seen = [...counts].map(([tag, n]) => `${tag} x${n}`).join(", ") || "none";
  if (problems.length) return { ok: false, detail: `${problems.join("; ")} (pulls.log: ${seen}${volumeMount ? `; volume ${volumeMount.Name}` : ""})` };
  return { ok: true, detail: `each of the ${counts.size} models pulled exactly once and listed by \`ollama list\`: ${seen} (${logPath} in volume ${volumeMount?.Name ?? "?"})` };
}

export const check: E2ECheck = { name: "model-pulls", check: guarded(checkModelPulls) };
