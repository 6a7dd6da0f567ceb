// Each model pull ran exactly once: one per tag of release.models (verify's `models` check sees
// every tag in `ollama list`; that a pull is not repeated is the program's property, which only
// the e2e's Ollama stand-in can count). The stand-in (tests/e2e/standins/ollama.go) appends
// `<time>\t<tag>` to pulls.log in its models directory on every pull; the file is read through
// the archive API.
import type { E2ECheck, E2EContext } from "../context";
import { normalizeTag } from "../../../verify/checks/data";
import { readFileText, stackContainers } from "../../../verify/docker";

/** Pulls per tag from pulls.log (`<RFC 3339 time>\t<tag>` per line). */
export function pullCounts(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of log.split("\n")) {
    const tag = line.split("\t")[1]?.trim();
    if (tag) counts.set(normalizeTag(tag), (counts.get(normalizeTag(tag)) ?? 0) + 1);
  }
  return counts;
}

/** Problems: a configured tag pulled other than once, a tag pulled that no model names. */
export function pullProblems(models: Record<string, string>, counts: Map<string, number>): string[] {
  const problems: string[] = [];
  const expected = new Map(Object.entries(models).map(([name, tag]) => [normalizeTag(tag), name]));
  for (const [tag, name] of expected) {
    const n = counts.get(tag) ?? 0;
    if (n !== 1) problems.push(`${name} (${tag}) was pulled ${n} times, expected exactly once`);
  }
  for (const [tag, n] of counts) if (!expected.has(tag)) problems.push(`${tag} was pulled ${n} time(s) but release.models does not name it`);
  return problems;
}

export async function checkModelPulls(ctx: E2EContext) {
  const models = ctx.settings.release.models;
  const ollama = (await stackContainers(ctx.docker, ctx.stack)).find((c) => c.service === "ollama");
  if (!ollama) return { ok: false, detail: `no container with org.enrichment.service=ollama in stack ${ctx.stack}` };
  // The models directory: OLLAMA_MODELS when set, else <volume mount>/models (/root/.ollama for the image's root user).
  const env = Object.fromEntries((ollama.info.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const volumeMount = ollama.info.Mounts.find((m) => m.Type === "volume" && m.Destination.endsWith("/.ollama"));
  const modelsDir = env.OLLAMA_MODELS ?? (volumeMount ? `${volumeMount.Destination}/models` : "/root/.ollama/models");
  const logPath = `${modelsDir}/pulls.log`;
  const log = await readFileText(ctx.docker, ollama.name, logPath);
  if (log === null) return { ok: false, detail: `${ollama.name} has no ${logPath}: no pull ran, or the image is not the e2e stand-in (which records each pull there)` };
  const counts = pullCounts(log);
  const problems = pullProblems(models, counts);
  const seen = [...counts].map(([tag, n]) => `${tag} x${n}`).join(", ") || "none";
  if (problems.length) return { ok: false, detail: `${problems.join("; ")} (pulls.log: ${seen})` };
  return { ok: true, detail: `each of the ${counts.size} models pulled exactly once: ${seen} (${logPath} in volume ${volumeMount?.Name ?? "?"})` };
}

export const check: E2ECheck = {
  name: "model-pulls",
  async check(ctx) {
    try {
      return await checkModelPulls(ctx);
    } catch (error) {
      return { ok: false, detail: `the check stopped on an unexpected error: ${(error as Error).message}` };
    }
  },
};
