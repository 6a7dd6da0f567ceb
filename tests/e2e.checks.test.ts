// The pure parts of the e2e checks (tests/e2e/checks/): the comparisons and parsers that decide
// whether a check passes, run here on fixed inputs, each shown to fail on a wrong one. The checks
// themselves need the running e2e stack (`npm run e2e`).
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import * as YAML from "yaml";
import * as tar from "tar-stream";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindingProblems, bindingsOf, expectedBindings } from "./e2e/checks/ports";
import { declaredJobs, targetsVerdict } from "./e2e/checks/prometheus-targets";
import { arrivalPaths, leakedSecrets, sinkHasAlert, testAlertPlan } from "./e2e/checks/alert-delivery";
import { checkEdge, corsProblem, identify, rateLimitVerdict, routeFor, unlistedOrigin } from "./e2e/checks/edge";
import type { E2EContext } from "./e2e/context";
import { EDGE_ROUTES } from "../planes/edge/edge";
import { renderEdgeConfig } from "../planes/edge/edgeConfig";
import { freePort, makePrefix, NGINX, Prefix, startDns, startNginx } from "./fixtures/app/nginx";
import { compareWithCatalog, indexProblems, redact, ServerIndex } from "./e2e/checks/indexes";
import { topicNames } from "./e2e/checks/nsq-topic";
import { healthProblems } from "./e2e/checks/health";
import { listedTags, pullCounts, pullProblems } from "./e2e/checks/model-pulls";
import { imageKeyOf, numericUser, ownershipProblems, platformServiceOf, resolveUser, secretPathsFromEnv, secretsInEnv } from "./e2e/checks/secret-files";
import { IMAGES } from "../facts/images";
import { durationMs } from "./e2e/checks/support/duration";
import { isLoopback, toLoopback } from "./e2e/checks/support/http";
import { guarded, poll, readArchive } from "./e2e/checks/support/docker";
import { AlertingSchema } from "../config/monitoring";
import { renderMonitoringFiles, PROMETHEUS_PATHS } from "../planes/monitoring/monitoring";
import { renderAlertmanagerConfig } from "../planes/monitoring/alertmanager";
import { INDEX_CATALOG, IndexDefinition } from "../facts/indexes";
import { defaultFilesInput } from "./fixtures/monitoring/tools";

describe("support", () => {
  it("reads Prometheus durations, refuses what is not one", () => {
    expect(durationMs("30s")).toBe(30_000);
    expect(durationMs("1m30s")).toBe(90_000);
    expect(durationMs("5m")).toBe(300_000);
    expect(durationMs("250ms")).toBe(250);
    expect(durationMs("thirty")).toBeUndefined();
    expect(durationMs("30")).toBeUndefined();
  });

  it("reaches wildcard binds on loopback, keeps loopback as it is", () => {
    expect(toLoopback("0.0.0.0:443")).toBe("127.0.0.1:443");
    expect(toLoopback("[::]:443")).toBe("127.0.0.1:443");
    expect(toLoopback("127.0.0.1:8443")).toBe("127.0.0.1:8443");
    expect(toLoopback("10.0.0.5:443")).toBe("10.0.0.5:443");
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("10.0.0.5")).toBe(false);
  });

  it("polls until accepted, and stops at its try limit when never accepted", async () => {
    let n = 0;
    const hit = await poll(async () => ++n, (v) => v >= 3, { tries: 10, timeoutMs: 5_000, intervalMs: 1 });
    expect(hit).toMatchObject({ value: 3, accepted: true, tries: 3 });
    n = 0;
    const miss = await poll(async () => ++n, () => false, { tries: 4, timeoutMs: 5_000, intervalMs: 1 });
    expect(miss).toMatchObject({ value: 4, accepted: false, tries: 4 });
  });

  it("reads a container archive's entries with their owner and mode", async () => {
    const pack = tar.pack();
    pack.entry({ name: "secrets", type: "directory", mode: 0o755, uid: 0, gid: 0 });
    pack.entry({ name: "secrets/key", mode: 0o400, uid: 999, gid: 999 }, "s3cret");
    pack.finalize();
    const docker = { getContainer: () => ({ getArchive: async () => pack }) } as unknown as Docker;
    const entries = await readArchive(docker, "c", "/run/secrets");
    expect(entries?.map((e) => [e.name, e.type, e.mode, e.uid, e.gid, e.content.toString()])).toEqual([
      ["secrets", "directory", 0o755, 0, 0, ""],
      ["secrets/key", "file", 0o400, 999, 999, "s3cret"],
    ]);
    const missing = { getContainer: () => ({ getArchive: async () => Promise.reject(Object.assign(new Error("no such file"), { statusCode: 404 })) }) } as unknown as Docker;
    expect(await readArchive(missing, "c", "/nowhere")).toBeNull();
  });
});

describe("ports", () => {
  const exposure = {
    bindAddress: "127.0.0.1",
    publish: {
      mongodb: { port: 27017, address: "127.0.0.1" },
      edge: { port: 443, address: "0.0.0.0" },
      "edge-http": { port: 80, address: "0.0.0.0" },
      prometheus: { port: 9090 },
    },
  };

  it("expects each publish entry on its container (edge-http on the edge), at its address or the bind address", () => {
    expect(expectedBindings(exposure)).toEqual({
      mongodb: [{ ip: "127.0.0.1", port: 27017 }],
      edge: [
        { ip: "0.0.0.0", port: 443 },
        { ip: "0.0.0.0", port: 80 },
      ],
      prometheus: [{ ip: "127.0.0.1", port: 9090 }],
    });
  });

  it("reads Docker's port maps; an empty HostIp is every address", () => {
    expect(bindingsOf({ "8443/tcp": [{ HostIp: "", HostPort: "443" }, { HostIp: "::", HostPort: "443" }], "8081/tcp": null })).toEqual([
      { ip: "0.0.0.0", port: 443, containerPort: "8443/tcp" },
      { ip: "::", port: 443, containerPort: "8443/tcp" },
    ]);
    expect(bindingsOf(undefined)).toEqual([]);
  });

  it("accepts exactly the configured bindings, the IPv6 twin of a wildcard included", () => {
    const want = expectedBindings(exposure);
    expect(bindingProblems("edge", want.edge!, [{ ip: "0.0.0.0", port: 443 }, { ip: "::", port: 443 }, { ip: "0.0.0.0", port: 80 }], "ports")).toEqual([]);
    expect(bindingProblems("mongodb", want.mongodb!, [{ ip: "127.0.0.1", port: 27017 }], "ports")).toEqual([]);
    expect(bindingProblems("grafana", [], [], "ports")).toEqual([]);
  });

  it("names a port bound where the config does not say, a missing one, and a data service on every address", () => {
    const want = expectedBindings(exposure);
    expect(bindingProblems("grafana", [], [{ ip: "127.0.0.1", port: 3000, containerPort: "3000/tcp" }], "ports")).toEqual([
      "grafana: ports binds 127.0.0.1:3000->3000/tcp, expected no published port (not in exposure.publish)",
    ]);
    expect(bindingProblems("prometheus", want.prometheus!, [{ ip: "0.0.0.0", port: 9090 }], "ports")).toEqual([
      "prometheus: ports binds 0.0.0.0:9090, expected only 127.0.0.1:9090",
      "prometheus: ports lacks 127.0.0.1:9090 (exposure.publish asks for it)",
    ]);
    expect(bindingProblems("edge", want.edge!, [{ ip: "0.0.0.0", port: 443 }], "ports")).toEqual(["edge: ports lacks 0.0.0.0:80 (exposure.publish asks for it)"]);
    expect(bindingProblems("nsqd", [{ ip: "0.0.0.0", port: 4151 }], [{ ip: "0.0.0.0", port: 4151 }], "ports")[0]).toMatch(/may bind only loopback/);
    expect(bindingProblems("ollama", [{ ip: "10.0.0.5", port: 11434 }], [{ ip: "10.0.0.5", port: 11434 }], "ports")[0]).toMatch(/may bind only loopback/);
  });
});

describe("prometheus-targets", () => {
  const yml = renderMonitoringFiles(defaultFilesInput()).prometheus[PROMETHEUS_PATHS.config]!;
  const jobs = declaredJobs(yml);
  const up = (job: string, instance = `${job}:1`) => ({ scrapePool: job, labels: { job, instance }, health: "up" });

  it("reads the job names of the generated prometheus.yml", () => {
    expect(jobs).toEqual((YAML.parse(yml).scrape_configs as { job_name: string }[]).map((j) => j.job_name));
    expect(jobs).toEqual(expect.arrayContaining(["prometheus", "alertmanager", "grafana"]));
    expect(declaredJobs("global: {}\n")).toEqual([]);
  });

  it("passes when every declared job has targets and all are up", () => {
    expect(targetsVerdict(jobs.map((j) => up(j)), jobs)).toMatchObject({ ok: true, notUp: [], missingJobs: [], unexpectedJobs: [] });
  });

  it("fails on a target not up, a declared job with no target, an undeclared pool, or no target at all", () => {
    const targets = jobs.map((j) => up(j));
    targets[0] = { ...targets[0]!, health: "down", lastError: "connection refused" } as never;
    const down = targetsVerdict(targets, jobs);
    expect(down.ok).toBe(false);
    expect(down.notUp).toEqual([`${jobs[0]} ${jobs[0]}:1 down: connection refused`]);
    expect(targetsVerdict(jobs.slice(1).map((j) => up(j)), jobs)).toMatchObject({ ok: false, missingJobs: [jobs[0]] });
    expect(targetsVerdict([...jobs.map((j) => up(j)), up("stray")], jobs)).toMatchObject({ ok: false, unexpectedJobs: ["stray"] });
    expect(targetsVerdict([], []).ok).toBe(false);
    expect(targetsVerdict([{ ...up("prometheus"), health: "unknown" }], ["prometheus"]).ok).toBe(false);
  });
});

describe("alert-delivery", () => {
  it("sends a warning (Slack only) with a unique name when Slack is on, and says why not when it is off", () => {
    const plan = testAlertPlan(AlertingSchema.parse({}), "abc");
    expect(plan).toEqual({ labels: { alertname: "E2EAlertDeliveryabc", severity: "warning", service: "e2e-check", e2e_run: "abc" }, receiver: "warning" });
    expect(testAlertPlan(AlertingSchema.parse({ slack: { enabled: false } }), "abc")).toMatchObject({ problem: expect.stringMatching(/slack\.enabled is false/) });
  });

  it("finds no secret in the generated alertmanager.yml, and would find one written into it", () => {
    const alerting = AlertingSchema.parse({ pagerduty: { enabled: true } });
    const config = renderAlertmanagerConfig({ alerting });
    const secrets = { slackWebhookUrl: "http://172.17.0.1:9999/slack/T000", pagerdutyRoutingKey: "0123456789abcdef0123" };
    expect(leakedSecrets(config, secrets)).toEqual([]);
    expect(leakedSecrets(`${config}\n# ${secrets.pagerdutyRoutingKey}\n`, secrets)).toEqual(["pagerdutyRoutingKey"]);
  });

  it("recognizes the alert in the sink's record by its unique name only", () => {
    const received = JSON.stringify([{ path: "/slack", body: { attachments: [{ title: "[FIRING:1] E2EAlertDeliveryk2 (e2e-check)" }] } }]);
    expect(sinkHasAlert(received, "E2EAlertDeliveryk2")).toBe(true);
    expect(sinkHasAlert(received, "E2EAlertDeliveryk3")).toBe(false);
  });

  it("tells which paths the alert arrived on (the webhook secret's random path proves the file was read)", () => {
    const received = JSON.stringify([
      { time: "t", path: "/slack/0badc0de", header: {}, body: { text: "E2EAlertDeliveryk2 firing" } },
      { time: "t", path: "/slack/other", header: {}, body: { text: "Watchdog" } },
    ]);
    expect(arrivalPaths(received, "E2EAlertDeliveryk2")).toEqual(["/slack/0badc0de"]);
    expect(arrivalPaths(received, "E2EAlertDeliveryzz")).toEqual([]);
    expect(arrivalPaths("not json", "x")).toBeUndefined();
    expect(arrivalPaths('{"a":1}', "x")).toBeUndefined();
  });
});

describe("edge", () => {
  it("routes host names by their first label to the program's routes", () => {
    expect(routeFor("review.e2e.enrichment.internal")?.upstream.host).toBe("review-api");
    expect(routeFor("COST.e2e.enrichment.internal")?.upstream.host).toBe("cost-api");
    expect(routeFor("grafana.e2e.enrichment.internal")?.upstream.host).toBe("grafana");
    expect(routeFor("api.e2e.enrichment.internal")).toBeUndefined();
  });

  it("identifies the answering service by header or JSON body, and says nothing when the answer does not", () => {
    expect(identify({ headers: { "x-standin-service": "review-api" }, body: "" })).toBe("review-api");
    expect(identify({ headers: {}, body: '{"status":"ok","service":"cost-api"}' })).toBe("cost-api");
    expect(identify({ headers: {}, body: '{"database":"ok","version":"11.3.1","commit":"e2e-standin"}' })).toBe("grafana");
    expect(identify({ headers: {}, body: '{"database":"ok"}' })).toBeUndefined();
    expect(identify({ headers: {}, body: "ok" })).toBeUndefined();
  });

  it("passes a burst that got 429s within the limit's allowance", () => {
    const statuses = [...Array(41).fill(200), ...Array(80).fill(429)];
    expect(rateLimitVerdict(statuses, 200, { requestsPerSecond: 20, burst: 40 })).toMatchObject({ ok: true, passed: 41, tooMany: 80 });
  });

  it("fails a burst with no 429, with more passing than the limit allows, or with errors", () => {
    expect(rateLimitVerdict(Array(120).fill(200), 200, { requestsPerSecond: 20, burst: 40 }).ok).toBe(false);
    // Within the allowance but never limited: the burst did not reach the limit, which proves nothing.
    expect(rateLimitVerdict(Array(30).fill(200), 200, { requestsPerSecond: 20, burst: 40 }).detail).toMatch(/^no 429 in 30 requests/);
    const tooMany = rateLimitVerdict([...Array(90).fill(200), 429], 200, { requestsPerSecond: 20, burst: 40 });
    expect(tooMany.ok).toBe(false);
    expect(tooMany.detail).toMatch(/90 requests passed, more than the 4\d the limit allows/);
    expect(rateLimitVerdict([...Array(41).fill(200), 429, 0], 200, { requestsPerSecond: 20, burst: 40 }).detail).toMatch(/1 requests failed/);
  });

  it("unlisted origin is outside the list", () => {
    expect(unlistedOrigin([])).toBe("https://not-listed.e2e.invalid");
    expect(unlistedOrigin(["https://not-listed.e2e.invalid"])).toBe("https://not-listed-1.e2e.invalid");
  });

  it("wants Access-Control-Allow-Origin echoed for a listed origin on an API, and no CORS header otherwise", () => {
    const origin = "https://review.e2e.enrichment.internal";
    const api = { route: "review.e2e", kind: "api" as const, method: "OPTIONS" as const, origin, listed: true };
    const allowed = { status: 204, headers: { "access-control-allow-origin": origin, "access-control-allow-methods": "GET" } };
    expect(corsProblem(api, allowed)).toBeUndefined();
    expect(corsProblem(api, { status: 204, headers: {} })).toMatch(/expected Access-Control-Allow-Origin: https:\/\/review\.e2e\.enrichment\.internal, got none/);
    expect(corsProblem(api, { status: 204, headers: { "access-control-allow-origin": "*" } })).toMatch(/got "\*"/);
    expect(corsProblem(api, { status: 404, headers: allowed.headers })).toMatch(/preflight answered 404/);
    const unlisted = { ...api, origin: "https://evil.example", listed: false };
    expect(corsProblem(unlisted, { status: 204, headers: {} })).toBeUndefined();
    expect(corsProblem(unlisted, { status: 204, headers: { "access-control-allow-origin": "https://evil.example" } })).toMatch(/expected no Access-Control-\* header/);
    expect(corsProblem({ ...api, kind: "ui" }, allowed)).toMatch(/UI route never sends CORS/);
  });
});

describe("indexes", () => {
  /** What listIndexes answers for a catalog entry (MongoDB's default name, key order kept). */
  const listed = (d: IndexDefinition): ServerIndex => ({
    name: d.name ?? d.keys.map(([f, v]) => `${f}_${v}`).join("_"),
    key: Object.fromEntries(d.keys),
    ...(d.expireAfterSeconds !== undefined ? { expireAfterSeconds: d.expireAfterSeconds } : {}),
  });
  const serverOf = (catalog: readonly IndexDefinition[]) => {
    const out: Record<string, ServerIndex[]> = {};
    for (const d of catalog) (out[d.collection] ??= [{ name: "_id_", key: { _id: 1 } }]).push(listed(d));
    return out;
  };

  it("the catalog has the eight indexes with the 30-day TTL this check is about", () => {
    expect(INDEX_CATALOG).toHaveLength(8);
    expect(INDEX_CATALOG.filter((d) => d.expireAfterSeconds === 2592000).map((d) => `${d.collection}.${d.keys[0]![0]}`)).toEqual(["review_queue.completed_at"]);
  });

  it("passes when the server has every catalog index, a hand-made extra listed but not failed", () => {
    const server = serverOf(INDEX_CATALOG);
    server.review_queue!.push({ name: "by_hand", key: { reviewer: 1 } });
    expect(compareWithCatalog(INDEX_CATALOG, server)).toEqual({ problems: [], extra: ["review_queue.by_hand"] });
  });

  it("fails a missing index, keys in another order, a lost or changed TTL, a TTL the catalog has not, a unique flag", () => {
    const server = serverOf(INDEX_CATALOG);
    server.cost_records = server.cost_records!.filter((i) => i.name !== "timestamp_1");
    const missing = compareWithCatalog(INDEX_CATALOG, server).problems;
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/^cost_records \{ timestamp: 1 \}: no index with these keys/);
    delete server.ocr_jobs;
    expect(compareWithCatalog(INDEX_CATALOG, server).problems).toContain("collection ocr_jobs does not exist, so none of its 1 catalog index(es) is there");

    const ttl = INDEX_CATALOG.find((d) => d.expireAfterSeconds !== undefined)!;
    expect(indexProblems(ttl, [{ ...listed(ttl), expireAfterSeconds: 3600 }])).toEqual([`review_queue { completed_at: 1 }: expireAfterSeconds 3600, expected 2592000`]);
    expect(indexProblems(ttl, [{ name: "completed_at_1", key: { completed_at: 1 } }])[0]).toMatch(/expireAfterSeconds absent, expected 2592000/);
    // BSON numbers (Int32/Long/Double) compare by value.
    expect(indexProblems(ttl, [{ ...listed(ttl), expireAfterSeconds: { toNumber: () => 2592000 } }])).toEqual([]);

    const compound = INDEX_CATALOG[0]!;
    const reversed = { name: "x", key: Object.fromEntries([...compound.keys].reverse()) };
    expect(indexProblems(compound, [reversed])[0]).toMatch(/no index with these keys in this order/);
    expect(indexProblems(compound, [{ ...listed(compound), expireAfterSeconds: 60 }])[0]).toMatch(/the catalog sets no TTL/);
    expect(indexProblems(compound, [{ ...listed(compound), unique: true }])).toEqual([`${compound.collection} { job_id: 1, status: 1, created_at: 1 }: unique is true, expected false`]);
    expect(indexProblems(compound, [{ ...listed(compound), key: { job_id: 1, status: -1, created_at: 1 } }])[0]).toMatch(/no index with these keys/);
  });

  it("never prints the password of the URI", () => {
    expect(redact("mongodb://enrichment:pa55word@127.0.0.1:27017/enrichment?authSource=admin")).toBe("mongodb://enrichment:***@127.0.0.1:27017/enrichment?authSource=admin");
  });
});

describe("nsq-topic", () => {
  it("reads topics from NSQ 1.x stats and from the pre-1.0 wrapper", () => {
    expect(topicNames(JSON.stringify({ version: "1.3.0", health: "OK", topics: [{ topic_name: "enrichment", channels: [] }] }))).toEqual(["enrichment"]);
    expect(topicNames(JSON.stringify({ status_code: 200, data: { topics: [{ topic_name: "a" }, { topic_name: "b" }] } }))).toEqual(["a", "b"]);
    expect(topicNames(JSON.stringify({ version: "1.3.0", topics: [] }))).toEqual([]);
  });

  it("refuses an answer that is not stats", () => {
    expect(() => topicNames(JSON.stringify({ message: "NOT_FOUND" }))).toThrow(/no "topics" array/);
    expect(() => topicNames("<html>")).toThrow();
  });
});

describe("health", () => {
  const good = {
    State: { Running: true, Status: "running", ExitCode: 0, Error: "", Health: { Status: "healthy", FailingStreak: 0, Log: [] } },
    HostConfig: { RestartPolicy: { Name: "unless-stopped", MaximumRetryCount: 0 }, Memory: 256 * 1048576, NanoCpus: 500_000_000 },
  } as unknown as Docker.ContainerInspectInfo;

  it("passes a running, healthy, limited container that restarts unless stopped", () => {
    expect(healthProblems("e2e-x", good)).toEqual([]);
  });

  it("names each problem: stopped, unhealthy (with the last probe), no healthcheck, restart policy, limits", () => {
    const bad = {
      State: { Running: false, Status: "exited", ExitCode: 1, Error: "", Health: { Status: "unhealthy", FailingStreak: 3, Log: [{ ExitCode: 1, Output: "connection refused\n" }] } },
      HostConfig: { RestartPolicy: { Name: "no" }, Memory: 0, NanoCpus: 0 },
    } as unknown as Docker.ContainerInspectInfo;
    expect(healthProblems("e2e-x", bad)).toEqual([
      "e2e-x: not running (status exited, exit code 1)",
      "e2e-x: health unhealthy (failing streak 3); last probe exited 1: connection refused",
      "e2e-x: restart policy no, expected unless-stopped",
      "e2e-x: no memory limit (HostConfig.Memory 0)",
      "e2e-x: no CPU limit (NanoCpus 0, CpuQuota 0)",
    ]);
    const noHealth = { ...good, State: { ...good.State, Health: undefined } } as unknown as Docker.ContainerInspectInfo;
    expect(healthProblems("e2e-y", noHealth)).toEqual(["e2e-y: has no healthcheck"]);
  });
});


describe("model-pulls", () => {
  const log = "2026-12-01T08:00:00Z\tllama3.2:3b\n2026-12-01T08:00:05Z\tmixtral:8x7b\n";
  const list = "NAME                           ID             SIZE     MODIFIED\nllama3.2:3b                    e2e            60       2026-12-01T08:00:00Z\nmixtral:8x7b                   e2e            61       2026-12-01T08:00:05Z\n";
  const models = { "llama3.2": "llama3.2:3b", mixtral: "mixtral:8x7b" };

  it("counts the stand-in's pulls.log lines per tag and reads `ollama list`", () => {
    expect([...pullCounts(log)]).toEqual([["llama3.2:3b", 1], ["mixtral:8x7b", 1]]);
    expect([...pullCounts("t\tnomic-embed-text\n")]).toEqual([["nomic-embed-text:latest", 1]]);
    expect(listedTags(list)).toEqual(["llama3.2:3b", "mixtral:8x7b"]);
  });

  it("passes one pull per configured tag, all listed", () => {
    expect(pullProblems(models, pullCounts(log), listedTags(list))).toEqual([]);
  });

  it("fails a repeated pull, a missing one, an unlisted tag and a pull no model names", () => {
    expect(pullProblems(models, pullCounts(log + "2026-12-01T08:10:00Z\tllama3.2:3b\n"), listedTags(list))).toEqual([
      "llama3.2 (llama3.2:3b) was pulled 2 times, expected exactly once",
    ]);
    expect(pullProblems(models, pullCounts(log.split("\n")[0]!), listedTags(list.split("\n").slice(0, 2).join("\n")))).toEqual([
      "mixtral (mixtral:8x7b) was pulled 0 times, expected exactly once",
      "mixtral (mixtral:8x7b) is not in `ollama list`",
    ]);
    expect(pullProblems({ "llama3.2": "llama3.2:3b" }, pullCounts(log), undefined)).toEqual(["mixtral:8x7b was pulled 1 time(s) but release.models does not name it"]);
  });
});

describe("secret-files", () => {
  const hex = (c: string) => c.repeat(64);
  const images = { mongodb: `127.0.0.1:5000/mongodb:7.0.14@sha256:${hex("a")}`, grafana: `127.0.0.1:5000/grafana:11.3.1@sha256:${hex("b")}`, edge: "nginx:1.27.3-alpine" };

  it("finds the catalog entry of an image by its repo digest, never by a tag", () => {
    expect(imageKeyOf([`127.0.0.1:5000/grafana@sha256:${hex("b")}`], images)).toBe("grafana");
    expect(imageKeyOf([`127.0.0.1:5000/mongodb@sha256:${hex("a")}`, "other@sha256:" + hex("c")], images)).toBe("mongodb");
    expect(imageKeyOf([`127.0.0.1:5000/review-api@sha256:${hex("d")}`], images)).toBeUndefined();
    expect(imageKeyOf([], images)).toBeUndefined();
    // One image for two keys (mongo runs mongod and the backups): the container's label decides among them.
    const shared = { ...images, backup: images.mongodb };
    const mongo = [`127.0.0.1:5000/mongodb@sha256:${hex("a")}`];
    expect(imageKeyOf(mongo, shared, "backup")).toBe("backup");
    expect(imageKeyOf(mongo, shared, "mongodb")).toBe("mongodb");
    expect(imageKeyOf(mongo, shared, "grafana")).toEqual({ ambiguous: ["mongodb", "backup"] });
    expect(imageKeyOf(mongo, shared)).toEqual({ ambiguous: ["mongodb", "backup"] });
    expect(imageKeyOf([`127.0.0.1:5000/grafana@sha256:${hex("b")}`], images, "mongodb")).toBe("grafana");
    expect(IMAGES.mongodb.user.value).toEqual({ uid: 999, gid: 999 });
  });

  it("knows a platform image by its digest in the release or the canary", () => {
    const release = { "review-api": `127.0.0.1:5000/review-api:e2e-1@sha256:${hex("d")}` };
    const canary = { "enrichment-worker": `127.0.0.1:5000/enrichment-worker:e2e-2@sha256:${hex("e")}` };
    expect(platformServiceOf([`127.0.0.1:5000/review-api@sha256:${hex("d")}`], [release, canary])).toBe("review-api");
    expect(platformServiceOf([`127.0.0.1:5000/enrichment-worker@sha256:${hex("e")}`], [release, canary])).toBe("enrichment-worker");
    expect(platformServiceOf([`127.0.0.1:5000/mongodb@sha256:${hex("a")}`], [release, canary])).toBeUndefined();
  });

  it("reads secret paths from *_FILE and Grafana's *__FILE variables only", () => {
    expect(secretPathsFromEnv(["MONGODB_URI_FILE=/run/secrets/mongodb-uri", "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password", "PORT=5001", "PROFILE=/etc/x"])).toEqual([
      "/run/secrets/mongodb-uri",
      "/run/secrets/grafana-admin-password",
    ]);
  });

  it("finds a secret value inside an environment variable (a URI with the password too), naming no value", () => {
    const secrets = { "mongodb-app-password": "Zq3xY7pLm2Vb9Kd4", anthropicApiKey: "sk-ant-e2e-0123456789", short: "abc" };
    const env = ["MONGODB_URI_FILE=/run/secrets/mongodb-uri", "MONGODB_URI=mongodb://enrichment:Zq3xY7pLm2Vb9Kd4@mongodb:27017/enrichment", "X=abc"];
    expect(secretsInEnv(env, secrets)).toEqual(["MONGODB_URI holds mongodb-app-password"]);
    expect(secretsInEnv(["MONGODB_URI_FILE=/run/secrets/mongodb-uri"], secrets)).toEqual([]);
  });

  it("resolves numeric and named users (no USER is root)", () => {
    expect(numericUser("")).toEqual({ uid: 0, gid: 0 });
    expect(numericUser("65534:0")).toEqual({ uid: 65534, gid: 0 });
    expect(numericUser("472")).toEqual({ uid: 472, gid: 472 });
    expect(numericUser("nobody")).toBeUndefined();
    const passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nenrichment:x:10001:10001::/app:/sbin/nologin\n";
    const group = "root:x:0:\nnogroup:x:65533:\nenrichment:x:10001:\n";
    expect(resolveUser("enrichment", passwd, group)).toEqual({ uid: 10001, gid: 10001 });
    expect(resolveUser("nobody:nogroup", passwd, group)).toEqual({ uid: 65534, gid: 65533 });
    expect(resolveUser("ghost", passwd, group)).toBeUndefined();
  });

  it("accepts 0400 owned by the runtime user, and 0440 with the user's own non-root group", () => {
    expect(ownershipProblems("/run/secrets/k", { uid: 999, gid: 999, mode: 0o100400 }, { uid: 999, gid: 999 })).toEqual([]);
    expect(ownershipProblems("/run/secrets/k", { uid: 999, gid: 999, mode: 0o440 }, { uid: 999, gid: 999 })).toEqual([]);
    expect(ownershipProblems("/run/secrets/k", { uid: 0, gid: 0, mode: 0o440 }, { uid: 0, gid: 0 })).toEqual([]);
  });

  it("fails root-owned files for a non-root service (the provider's default), world or root-group access, an unreadable owner", () => {
    expect(ownershipProblems("/run/secrets/k", { uid: 0, gid: 0, mode: 0o440 }, { uid: 999, gid: 999 })).toEqual([
      "/run/secrets/k is owned by uid 0 (mode 0440), expected the runtime user 999",
      "/run/secrets/k mode 0440, group 0: the group can read it, and it is not the runtime user's own group (expected 0400)",
    ]);
    expect(ownershipProblems("/run/secrets/k", { uid: 472, gid: 0, mode: 0o440 }, { uid: 472, gid: 0 })).toEqual([
      "/run/secrets/k mode 0440, group 0: the group can read it, and it is not the runtime user's own group (expected 0400)",
    ]);
    expect(ownershipProblems("/run/secrets/k", { uid: 999, gid: 999, mode: 0o644 }, { uid: 999, gid: 999 })).toEqual(["/run/secrets/k mode 0644: every user may use it (expected 0400)"]);
    expect(ownershipProblems("/run/secrets/k", { uid: 999, gid: 999, mode: 0o200 }, { uid: 999, gid: 999 })).toEqual(["/run/secrets/k mode 0200: its owner cannot read it"]);
  });
});

// The whole edge check, run against the real nginx (Debian's) on the config the program renders,
// with stand-in upstreams that name themselves as tests/e2e/standins do: the check's requests,
// TLS verification, CORS cases and rate-limit burst meet real nginx behaviour here, not in the e2e only.
describe("the edge check against a real nginx", () => {
  const available = fs.existsSync(NGINX) && spawnSync("openssl", ["version"]).status === 0;
  const domain = "e2e.example.test";
  const dnsNames = EDGE_ROUTES.map((r) => `${r.name}.${domain}`);
  let prefix: Prefix;
  let dns: Awaited<ReturnType<typeof startDns>>;
  let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
  const upstreams: http.Server[] = [];
  const upstreamPorts: Record<string, number> = {};
  let caCertPem = "";
  let httpsPort = 0;

  /** A CA and an edge leaf for the DNS names (openssl), written where the config points. */
  function issue(dir: string, paths: Prefix["paths"]) {
    const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=e2e-check-ca", "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${dnsNames[0]}`, "-keyout", paths.certificateKey, "-out", "leaf.csr"]);
    fs.writeFileSync(path.join(dir, "san.ext"), `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(",")}\n`);
    run(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", "leaf.pem", "-extfile", "san.ext"]);
    caCertPem = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
    fs.writeFileSync(paths.certificate, fs.readFileSync(path.join(dir, "leaf.pem"), "utf8") + caCertPem);
  }

  /** An upstream that answers like the stand-in of `service` (or of `claims`, to misroute). */
  async function standin(service: string, claims = service): Promise<number> {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" });
      res.end(claims === "grafana" ? JSON.stringify({ database: "ok", version: "11.3.1", commit: "e2e-standin" }) : JSON.stringify({ status: "ok", service: claims, release: "e2e-1" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    upstreams.push(server);
    return (server.address() as import("node:net").AddressInfo).port;
  }

  const settings = (over: Record<string, unknown> = {}) =>
    ({
      tls: { dnsNames },
      cors: { allowedOrigins: [`https://review.${domain}`] },
      rateLimit: { requestsPerSecond: 5, burst: 5 },
      exposure: { bindAddress: "127.0.0.1", publish: { edge: { port: httpsPort } } },
      ...over,
    }) as never;
  const ctx = (over: Record<string, unknown> = {}) => ({ published: { edge: `127.0.0.1:${httpsPort}` }, caCertPem, settings: settings(over) }) as unknown as E2EContext;

  async function start(allowedOrigins: string[], ports: Record<string, number>) {
    await nginx?.stop();
    const listen = { https: httpsPort, http: await freePort(), status: await freePort() };
    const config = renderEdgeConfig({
      routes: EDGE_ROUTES.map((r) => ({ name: r.name, serverNames: [`${r.name}.${domain}`], upstream: { host: r.upstream.host, port: ports[r.name]! }, kind: r.kind })),
      allowedOrigins,
      rateLimit: { requestsPerSecond: 5, burst: 5 },
      publicHttpsPort: httpsPort,
      httpRedirect: false,
      resolver: `127.0.0.1:${dns.port}`,
      ports: listen,
      paths: prefix.paths,
    });
    nginx = await startNginx(config, prefix, httpsPort);
  }

  beforeAll(async () => {
    if (!available) return;
    prefix = makePrefix();
    issue(prefix.dir, prefix.paths);
    dns = await startDns();
    for (const route of EDGE_ROUTES) upstreamPorts[route.name] = await standin(route.upstream.host);
    httpsPort = await freePort();
    await start([`https://review.${domain}`], upstreamPorts);
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const server of upstreams) server.close();
    dns?.close();
    if (prefix) fs.rmSync(prefix.dir, { recursive: true, force: true });
  });

  it.skipIf(!available)("passes on the rendered config: TLS with the CA, routes, CORS, 429 past the limit", async () => {
    const result = await checkEdge(ctx());
    console.log(`edge check against nginx: ${result.detail}`);
    expect(result.detail).toMatch(/HTTPS on 127\.0\.0\.1:\d+ verified with the stack's CA/);
    expect(result.ok, result.detail).toBe(true);
    expect(result.detail).toContain(`review.${domain} -> review-api`);
    expect(result.detail).toContain(`grafana.${domain} -> grafana`);
    expect(result.detail).toMatch(/rate limit: \d+ requests in \d+ ms: \d+ passed, [1-9]\d* got 429/);
  });

  it.skipIf(!available)("fails when the certificate is not the stack CA's", async () => {
    const other = execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other-ca", "-keyout", "/dev/null"], { stdio: "pipe" }).toString();
    const result = await checkEdge({ ...ctx(), caCertPem: other });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/HTTPS to https:\/\/127\.0\.0\.1:\d+ as review\.e2e\.example\.test \(CA: the stack's\) failed: .*(certificate|issuer)/i);
  });

  it.skipIf(!available)("fails a misrouted host, naming what answered and what was expected", async () => {
    const swapped = { ...upstreamPorts, review: upstreamPorts.cost!, cost: upstreamPorts.review! };
    await start([`https://review.${domain}`], swapped);
    try {
      const result = await checkEdge(ctx());
      expect(result.ok).toBe(false);
      expect(result.detail).toContain(`https://review.${domain} was answered by cost-api, expected review-api`);
      expect(result.detail).toContain(`https://cost.${domain} was answered by review-api, expected cost-api`);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });

  it.skipIf(!available)("fails when the edge allows an origin the stack does not list", async () => {
    await start([`https://review.${domain}`, "https://not-listed.e2e.invalid"], upstreamPorts);
    try {
      const result = await checkEdge(ctx());
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/GET on review\.e2e\.example\.test with Origin https:\/\/not-listed\.e2e\.invalid \(not listed\): expected no Access-Control-\* header/);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });

  it.skipIf(!available)("fails when the edge sends no CORS header to a listed origin", async () => {
    await start([], upstreamPorts);
    try {
      const result = await checkEdge(ctx());
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/OPTIONS on review\.e2e\.example\.test with Origin https:\/\/review\.e2e\.example\.test \(listed\): expected Access-Control-Allow-Origin/);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });

  it.skipIf(!available)("fails when the edge never answers 429 (a limit far above the burst)", async () => {
    // The stack says 5/s; the edge (wrongly) runs 1000/s with a large burst.
    const listen = { https: httpsPort, http: await freePort(), status: await freePort() };
    await nginx?.stop();
    nginx = await startNginx(
      renderEdgeConfig({
        routes: EDGE_ROUTES.map((r) => ({ name: r.name, serverNames: [`${r.name}.${domain}`], upstream: { host: r.upstream.host, port: upstreamPorts[r.name]! }, kind: r.kind })),
        allowedOrigins: [`https://review.${domain}`],
        rateLimit: { requestsPerSecond: 1000, burst: 1000 },
        publicHttpsPort: httpsPort,
        httpRedirect: false,
        resolver: `127.0.0.1:${dns.port}`,
        ports: listen,
        paths: prefix.paths,
      }),
      prefix,
      httpsPort,
    );
    try {
      const result = await checkEdge(ctx());
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/rate limit on review\.e2e\.example\.test: no 429 in \d+ requests/);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });

  it.runIf(!available)("skipped: needs Debian's nginx and openssl (apt-get install -y nginx openssl; npx vitest run tests/e2e.checks.test.ts)", () => {});
});

describe("the list of checks", () => {
  it("holds every module of tests/e2e/checks/ once, each exporting a check named after its file", async () => {
    const dir = path.join(__dirname, "e2e/checks");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => f.replace(/\.ts$/, "")).sort();
    const { ALL_CHECKS } = await import("./e2e/checks/support/all");
    expect(ALL_CHECKS.map((c) => c.name).sort()).toEqual(files);
    for (const file of files) {
      const module = (await import(`./e2e/checks/${file}`)) as { check?: { name: string; check: unknown } };
      expect(module.check?.name, file).toBe(file);
      expect(typeof module.check?.check, file).toBe("function");
    }
    expect(ALL_CHECKS.at(-1)!.name).toBe("edge");
    // Issue 9, 4.2, as nine checks (the container health of 4.1 included), and issue 12's backup and restore.
    expect(files).toEqual(["alert-delivery", "backup", "edge", "health", "indexes", "model-pulls", "nsq-topic", "ports", "prometheus-targets", "restore", "secret-files"]);
    // The order the e2e runs them in: backup after the indexes and Prometheus' first scrapes, restore right after backup (its archive).
    const order = ALL_CHECKS.map((c) => c.name);
    expect(order.indexOf("backup")).toBeGreaterThan(order.indexOf("indexes"));
    expect(order.indexOf("backup")).toBeGreaterThan(order.indexOf("prometheus-targets"));
    expect(order.indexOf("restore")).toBe(order.indexOf("backup") + 1);
    // Report step names: `check <name>`, except backup and restore, issue 12's steps named exactly so.
    expect(ALL_CHECKS.map((c) => c.step ?? `check ${c.name}`).filter((s) => !s.startsWith("check "))).toEqual(["backup", "restore"]);
  });
});

describe("guarded", () => {
  it("turns an unexpected error into a failed result that names it", async () => {
    const run = guarded(async () => {
      throw new Error("(HTTP code 500) server error - no space left on device");
    });
    expect(await run({})).toEqual({ ok: false, detail: "the check stopped on an unexpected error: (HTTP code 500) server error - no space left on device" });
    expect(await guarded(async () => ({ ok: true, detail: "fine" }))({})).toEqual({ ok: true, detail: "fine" });
  });
});
