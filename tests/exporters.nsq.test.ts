// The NSQ exporter against a real nsqd 1.3: the program's telegraf config (renderTelegrafConfig,
// only the addresses changed for loopback) read by the real telegraf with inputs.nsq and
// outputs.prometheus_client; a message published to the topic shows as topic and channel depth
// under the names the queue alerts use; the program's own healthcheck command (busybox sh + wget)
// passes while nsqd answers and fails once it is gone.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithTools, missingTools, ToolName, toolPath } from "./tools";
import { EXPORTERS, EXPORTER_PORTS, renderTelegrafConfig } from "../planes/monitoring/exporters";
import { freePort, Process, removeTempDirs, tempDir, waitFor } from "./fixtures/monitoring/tools";

const NSQ_TOOLS: ToolName[] = ["nsqd", "telegraf", "busybox"];
const skip = missingTools(NSQ_TOOLS);

let nsqd: Process | undefined;
let telegraf: Process | undefined;
let nsqdHttp = 0;
let metricsPort = 0;

const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(3_000) })).text();
const post = async (url: string, body = "") => {
  const response = await fetch(url, { method: "POST", body, signal: AbortSignal.timeout(3_000) });
  expect(response.status, url).toBe(200);
};
/** The exporter entry's healthcheck, pointed at this test's port, run by busybox sh (the image's shell and wget). */
const healthcheck = () => {
  const entry = EXPORTERS.find((e) => e.service === "nsq-exporter")!;
  expect(entry.healthcheck[0]).toBe("CMD-SHELL");
  const script = entry.healthcheck[1].replace(`127.0.0.1:${EXPORTER_PORTS.nsqExporter}`, `127.0.0.1:${metricsPort}`);
  expect(script).toContain(`127.0.0.1:${metricsPort}/metrics`);
  return new Promise<number>((resolve) => execFile(toolPath("busybox"), ["sh", "-c", script], { timeout: 10_000 }, (error) => resolve(error ? Number(error.code ?? 1) : 0)));
};

beforeAll(async () => {
  if (skip) return;
  const dir = tempDir("nsq-exporter");
  const [tcp, http, prom] = await Promise.all([freePort(), freePort(), freePort()]);
  nsqdHttp = http;
  metricsPort = prom;
  nsqd = new Process(toolPath("nsqd"), [`--data-path=${dir}`, `--tcp-address=127.0.0.1:${tcp}`, `--http-address=127.0.0.1:${http}`, "--broadcast-address=127.0.0.1"]);
  await waitFor("nsqd", async () => ((await fetch(`http://127.0.0.1:${http}/ping`).catch(() => undefined))?.ok ? true : undefined), 15_000);

  // The program's config; the test only shortens the intervals and points it at loopback.
  const programConfig = renderTelegrafConfig({ nsqdUrl: "http://nsqd:4151", listenPort: EXPORTER_PORTS.nsqExporter });
  expect(programConfig).toContain('endpoints = ["http://nsqd:4151"]');
  const config = renderTelegrafConfig({ nsqdUrl: `http://127.0.0.1:${http}`, listenPort: prom, intervalSeconds: 1, expirationSeconds: 3 });
  fs.writeFileSync(path.join(dir, "telegraf.conf"), config);
  telegraf = new Process(toolPath("telegraf"), ["--config", path.join(dir, "telegraf.conf")]);
}, 30_000);

afterAll(async () => {
  await telegraf?.stop();
  await nsqd?.stop();
  removeTempDirs();
});

describeWithTools(NSQ_TOOLS, "telegraf reads NSQ 1.3's /stats?format=json", () => {
  it("exports topic and channel depth for a published message, under the alerts' metric names", async () => {
    await post(`http://127.0.0.1:${nsqdHttp}/topic/create?topic=enrichment`);
    await post(`http://127.0.0.1:${nsqdHttp}/channel/create?topic=enrichment&channel=workers`);
    await post(`http://127.0.0.1:${nsqdHttp}/pub?topic=enrichment`, '{"document_id":"d1"}');
    const text = await waitFor("channel depth 1", async () => {
      const body = await metrics().catch(() => "");
      return /^nsq_channel_depth\{[^}]*channel="workers"[^}]*topic="enrichment"[^}]*\} 1$/m.test(body) ? body : undefined;
    }, 20_000);
    expect(text).toMatch(/^nsq_topic_message_count\{[^}]*topic="enrichment"[^}]*\} 1$/m);
    expect(text).toMatch(/^nsq_topic_depth\{[^}]*topic="enrichment"[^}]*\} 0$/m);
    expect(text).toMatch(/^nsq_channel_client_count\{[^}]*channel="workers"[^}]*\} 0$/m);
    expect(text).toMatch(/^nsq_channel_timeout_count\{[^}]*channel="workers"[^}]*\} 0$/m);
    expect(text).toMatch(/^nsq_server_topic_count\{[^}]*\} 1$/m);
    // A second message on a second channel: depth per channel.
    await post(`http://127.0.0.1:${nsqdHttp}/channel/create?topic=enrichment&channel=archive`);
    await post(`http://127.0.0.1:${nsqdHttp}/pub?topic=enrichment`, '{"document_id":"d2"}');
    await waitFor("workers 2, archive 1", async () => {
      const body = await metrics().catch(() => "");
      const ok =
        /^nsq_channel_depth\{[^}]*channel="workers"[^}]*\} 2$/m.test(body) && /^nsq_channel_depth\{[^}]*channel="archive"[^}]*\} 1$/m.test(body);
      return ok ? true : undefined;
    }, 20_000);
  });

  it("the healthcheck passes while nsqd answers and fails once telegraf can no longer read it", async () => {
    expect(await healthcheck()).toBe(0);
    await nsqd!.stop();
    // Series of failed gathers expire (expiration_interval); then no nsq_server_ line is left.
    await waitFor("healthcheck failing", async () => ((await healthcheck()) !== 0 ? true : undefined), 30_000);
    expect(await metrics()).not.toMatch(/^nsq_server_/m);
  }, 45_000);
});
