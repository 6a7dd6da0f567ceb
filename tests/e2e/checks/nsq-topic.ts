// The configured NSQ topic exists on nsqd: its /stats (JSON) lists it. Asked on the published
// loopback port when nsqd publishes one, else from inside the container (busybox wget).
import type { E2ECheck, E2EContext } from "../context";
import { PORTS } from "../../../facts/services";
import { describeExec, exec, serviceContainer, guarded } from "./support/docker";
import { hostAddress, isLoopback, request } from "./support/http";

/**
 * Topic names in nsqd's `/stats?format=json`. NSQ 1.x answers the stats object bare; before 1.0 it
 * was wrapped in `{status_code, data}`: both are read. Throws on anything else.
 */
export function topicNames(statsJson: string): string[] {
  const parsed = JSON.parse(statsJson) as { topics?: { topic_name?: string }[]; data?: { topics?: { topic_name?: string }[] } };
  const topics = parsed.topics ?? parsed.data?.topics;
  if (!Array.isArray(topics)) throw new Error(`no "topics" array in the stats answer: ${statsJson.slice(0, 200)}`);
  return topics.map((topic) => String(topic.topic_name));
}

const STATS_PATH = "/stats?format=json";

async function readStats(ctx: E2EContext, container: string): Promise<{ body?: string; error?: string; via: string }> {
  const address = hostAddress(ctx, "nsqd");
  if (address && isLoopback(address.split(":")[0]!)) {
    const url = `http://${address}${STATS_PATH}`;
    try {
      const answer = await request(url, { timeoutMs: 10_000 });
      return answer.status === 200 ? { body: answer.body, via: url } : { error: `${url} answered ${answer.status}`, via: url };
    } catch (error) {
      return { error: `${url}: ${(error as Error).message}`, via: url };
    }
  }
  const cmd = ["wget", "-q", "-O", "-", `http://127.0.0.1:${PORTS.nsqdHttp}${STATS_PATH}`];
  const result = await exec(ctx.docker, container, cmd, { timeoutMs: 15_000 });
  const via = `docker exec ${container} ${cmd.join(" ")}`;
  return result.exitCode === 0 ? { body: result.stdout, via } : { error: describeExec(cmd, result), via };
}

export async function checkNsqTopic(ctx: E2EContext) {
  const topic = ctx.settings.nsq.topic;
  const nsqd = await serviceContainer(ctx, "nsqd");
  if (!nsqd) return { ok: false, detail: `no container with org.enrichment.service=nsqd in stack ${ctx.stack}` };
  const stats = await readStats(ctx, nsqd.name);
  if (!stats.body) return { ok: false, detail: `could not read nsqd's stats: ${stats.error}` };
  let topics: string[];
  try {
    topics = topicNames(stats.body);
  } catch (error) {
    return { ok: false, detail: `${stats.via}: ${(error as Error).message}` };
  }
  if (!topics.includes(topic)) return { ok: false, detail: `topic "${topic}" (nsq.topic) is not on nsqd; ${stats.via} lists ${topics.length ? topics.join(", ") : "no topic"}` };
  return { ok: true, detail: `topic "${topic}" exists on ${nsqd.name} (${stats.via}; topics: ${topics.join(", ")})` };
}

export const check: E2ECheck = { name: "nsq-topic", check: guarded(checkNsqTopic) };
