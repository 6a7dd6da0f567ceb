// The checks of `npm run verify` (verify/): the comparisons and parsers that decide whether a
// check passes, on fixed inputs, each shown to fail on a wrong one; the index check through the
// reconciler's read against a MongoDB on the wire (FakeMongo); the edge checks against the real
// nginx on the config the program renders. The whole command runs against the e2e's live stack.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import * as YAML from "yaml";
import * as tar from "tar-stream";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindingProblems, bindingsOf, compareContainerSets, expectedBindings, healthProblems } from "../verify/checks/containers";
import { counterSum, declaredJobs, leakedSecrets, provisionedDashboards, ruleFileRules, rulesVerdict, stale, targetsVerdict, testAlertPlan } from "../verify/checks/monitoring";
import { certificateProblems, checkEdgeCors, checkEdgeRateLimit, checkEdgeRouting, checkEdgeTls, corsProblem, identify, rateLimitVerdict, routeFor, unlistedOrigin } from "../verify/checks/edge";
import { checkMongoIndexes, indexDrift, listedTags, missingModels, redact, topicNames, withEndpoint } from "../verify/checks/data";
import { deliveryProblems, imageKeyOf, joinsGroup, numericUser, platformServiceOf, resolveUser, secretPathsFromEnv, secretsInEnv } from "../verify/checks/secretFiles";
import { pullCounts, pullProblems } from "./e2e/checks/model-pulls";
import { arrivalPaths } from "./e2e/checks/alert-sink";
import type { VerifyContext } from "../verify/context";
import { publishedAt, Reach, route } from "../verify/reach";
import { EDGE_ROUTES } from "../facts/services";
import { renderEdgeConfig } from "../planes/edge/edgeConfig";
import { freePort, makePrefix, Prefix, startDns, startNginx } from "./fixtures/app/nginx";
import { describeWithTools, toolPath } from "./tools";
import { IMAGES } from "../facts/images";
import { INDEX_CATALOG } from "../facts/indexes";
import { durationMs, isLoopback, toLoopback } from "../verify/http";
import { hostTreeBinds, poll, readArchive, sshDialArgs } from "../verify/docker";
import { AlertingSchema } from "../config/monitoring";
import { PROMETHEUS_PATHS } from "../facts/monitoringFiles";
import { renderMonitoringFiles } from "../planes/monitoring/monitoring";
import { renderAlertmanagerConfig } from "../planes/monitoring/alertmanager";
import { normalizeListedIndex, specsByCollection } from "../planes/data/mongoIndexes/plan";
import { mongoIndexesProvider } from "../planes/data/mongoIndexes/provider";
import { defaultFilesInput } from "./fixtures/monitoring/tools";
import { FakeMongo } from "./mongoIndexes.support";

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

  it("reaches a published port directly on a local engine, through the engine for a remote host's loopback (or when forced)", () => {
    const local = { remote: false };
    const remote = { remote: true, hostname: "docker-host.example" };
    expect(route({ address: "127.0.0.1", port: 8443 }, local, false)).toEqual({ direct: "127.0.0.1" });
    expect(route({ address: "0.0.0.0", port: 443 }, local, false)).toEqual({ direct: "127.0.0.1" });
    expect(route({ address: "127.0.0.1", port: 8443 }, local, true)).toEqual({ engine: "127.0.0.1" });
    expect(route({ address: "0.0.0.0", port: 443 }, local, true)).toEqual({ engine: "127.0.0.1" });
    expect(route({ address: "127.0.0.1", port: 27018 }, remote, false)).toEqual({ engine: "127.0.0.1" });
    expect(route({ address: "0.0.0.0", port: 443 }, remote, false)).toEqual({ direct: "docker-host.example" });
    expect(route({ address: "10.0.0.5", port: 443 }, remote, false)).toEqual({ direct: "10.0.0.5" });
    expect(publishedAt({ exposure: { bindAddress: "127.0.0.1", publish: { edge: { port: 443, address: "0.0.0.0" }, prometheus: { port: 9090 } } } }, "prometheus")).toEqual({ address: "127.0.0.1", port: 9090 });
  });

  it("runs ssh as the Docker provider does: the stack's sshOpts first, never a prompt, one multiplexed master", () => {
    expect(sshDialArgs(new URL("ssh://deploy@docker-host:2222"), ["-i", "/keys/deploy", "-o", "StrictHostKeyChecking=yes"], "/tmp/m")).toEqual([
      "-i", "/keys/deploy", "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes", "-T",
      "-o", "ControlMaster=auto", "-o", "ControlPath=/tmp/m", "-o", "ControlPersist=60",
      "-l", "deploy", "-p", "2222", "--", "docker-host", "docker", "system", "dial-stdio",
    ]);
    expect(sshDialArgs(new URL("ssh://docker-host"), [])).toEqual(["-o", "BatchMode=yes", "-T", "--", "docker-host", "docker", "system", "dial-stdio"]);
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
    const inspect = async () => ({ Mounts: [{ Type: "volume", Source: "/var/lib/docker/volumes/v/_data" }] });
    const docker = { getContainer: () => ({ inspect, getArchive: async () => pack }) } as unknown as Docker;
    const entries = await readArchive(docker, "c", "/run/secrets");
    expect(entries?.map((e) => [e.name, e.type, e.mode, e.uid, e.gid, e.content.toString()])).toEqual([
      ["secrets", "directory", 0o755, 0, 0, ""],
      ["secrets/key", "file", 0o400, 999, 999, "s3cret"],
    ]);
    const missing = { getContainer: () => ({ inspect, getArchive: async () => Promise.reject(Object.assign(new Error("no such file"), { statusCode: 404 })) }) } as unknown as Docker;
    expect(await readArchive(missing, "c", "/nowhere")).toBeNull();
  });

  it("refuses the archive API for a container binding the host's root, before asking for the archive", async () => {
    let asked = false;
    const docker = { getContainer: () => ({ inspect: async () => ({ Mounts: [{ Type: "bind", Source: "/" }] }), getArchive: async () => ((asked = true), tar.pack()) }) } as unknown as Docker;
    await expect(readArchive(docker, "e2e-node-exporter", "/run/secrets")).rejects.toThrow(/not read through the archive API: e2e-node-exporter binds the host's \/, which the daemon would mount again/);
    expect(asked).toBe(false);
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

describe("alertmanager and alert-delivery", () => {
  it("sends a warning to Slack when Slack is on, else an info to e-mail, never to PagerDuty", () => {
    const plan = testAlertPlan(AlertingSchema.parse({}), "abc");
    expect(plan).toEqual({ labels: { alertname: "VerifyTestAlertabc", severity: "warning", service: "verify", verify_run: "abc" }, receiver: "warning", integration: "slack" });
    const email = AlertingSchema.parse({ slack: { enabled: false }, email: { enabled: true, to: "ops@example.org", from: "am@example.org", smarthost: "smtp.example.org:587" } });
    expect(testAlertPlan(email, "abc")).toMatchObject({ receiver: "info", integration: "email", labels: { severity: "info" } });
    expect(testAlertPlan(AlertingSchema.parse({ slack: { enabled: false }, pagerduty: { enabled: true } }), "abc")).toMatchObject({ problem: expect.stringMatching(/PagerDuty, which a test must not page/) });
  });

  it("finds no secret in the generated alertmanager.yml, and would find one written into it", () => {
    const alerting = AlertingSchema.parse({ pagerduty: { enabled: true } });
    const config = renderAlertmanagerConfig({ alerting });
    const secrets = { slackWebhookUrl: "http://172.17.0.1:9999/slack/T000", pagerdutyRoutingKey: "0123456789abcdef0123" };
    expect(leakedSecrets(config, secrets)).toEqual([]);
    expect(leakedSecrets(`${config}\n# ${secrets.pagerdutyRoutingKey}\n`, secrets)).toEqual(["pagerdutyRoutingKey"]);
  });

  it("sums Alertmanager's notification counters for one integration (and receiver, where the label exists)", () => {
    const metrics = [
      "# HELP alertmanager_notifications_total The total number of attempted notifications.",
      "# TYPE alertmanager_notifications_total counter",
      'alertmanager_notifications_total{integration="email"} 0',
      'alertmanager_notifications_total{integration="slack"} 3',
      'alertmanager_notifications_total{integration="webhook"} 7',
      'alertmanager_notifications_failed_total{integration="slack",reason="other"} 1',
    ].join("\n");
    expect(counterSum(metrics, "alertmanager_notifications_total", { integration: "slack", receiver_name: "warning" })).toBe(3);
    expect(counterSum(metrics, "alertmanager_notifications_failed_total", { integration: "slack", receiver_name: "warning" })).toBe(1);
    const perReceiver = 'alertmanager_notifications_total{integration="slack",receiver_name="warning"} 2\nalertmanager_notifications_total{integration="slack",receiver_name="default"} 5\n';
    expect(counterSum(perReceiver, "alertmanager_notifications_total", { integration: "slack", receiver_name: "warning" })).toBe(2);
    expect(counterSum("", "alertmanager_notifications_total", { integration: "slack" })).toBe(0);
  });

  it("tells which paths the alert arrived on at the e2e's sink (the webhook secret's random path proves the file was read)", () => {
    const received = JSON.stringify([
      { time: "t", path: "/slack/0badc0de", header: {}, body: { text: "VerifyTestAlertk2 firing" } },
      { time: "t", path: "/slack/other", header: {}, body: { text: "Watchdog" } },
    ]);
    expect(arrivalPaths(received, "VerifyTestAlertk2")).toEqual(["/slack/0badc0de"]);
    expect(arrivalPaths(received, "VerifyTestAlertzz")).toEqual([]);
    expect(arrivalPaths("not json", "x")).toBeUndefined();
    expect(arrivalPaths('{"a":1}', "x")).toBeUndefined();
  });
});

describe("prometheus-rules", () => {
  const files = renderMonitoringFiles(defaultFilesInput()).prometheus;
  const ruleFiles = Object.entries(files).filter(([file]) => file.startsWith(`${PROMETHEUS_PATHS.rules}/`));
  const fromFiles = ruleFiles.flatMap(([, text]) => ruleFileRules(text));
  const loaded = () => {
    const groups = new Map<string, { name: string; rules: { name: string; health?: string; lastError?: string }[] }>();
    for (const rule of fromFiles) {
      if (!groups.has(rule.group)) groups.set(rule.group, { name: rule.group, rules: [] });
      groups.get(rule.group)!.rules.push({ name: rule.name, health: "ok" });
    }
    return [...groups.values()];
  };

  it("reads every rule of the generated rule files", () => {
    expect(ruleFiles.length).toBeGreaterThan(5);
    expect(fromFiles.map((r) => r.name)).toEqual(expect.arrayContaining(["BackupTooOld", "Watchdog"]));
  });

  it("passes when Prometheus loaded every rule and none fails; names a rule not loaded and one that fails", () => {
    expect(rulesVerdict(fromFiles, loaded())).toMatchObject({ missing: [], failing: [], total: fromFiles.length });
    const groups = loaded();
    const dropped = groups[0]!.rules.pop()!;
    const twins = groups[0]!.rules.filter((r) => r.name === dropped.name).length + 1;
    groups[1]!.rules[0] = { ...groups[1]!.rules[0]!, health: "err", lastError: "many-to-many matching not allowed" };
    const verdict = rulesVerdict(fromFiles, groups);
    expect(verdict.missing).toEqual([`${groups[0]!.name}/${dropped.name}${twins > 1 ? ` (${twins - 1} of ${twins})` : ""}`]);
    expect(verdict.failing).toEqual([`${groups[1]!.name}/${groups[1]!.rules[0]!.name}: many-to-many matching not allowed`]);
  });
});

describe("backup-freshness and grafana-dashboards", () => {
  it("fails a timestamp older than allowed or one that never moved from 0, naming which", () => {
    const day = 86400;
    expect(stale([{ what: "mongodb-backup dump", ageSeconds: 3600, maxSeconds: 26 * 3600 }])).toEqual([]);
    expect(stale([{ what: "mongodb-backup dump", ageSeconds: 27 * 3600, maxSeconds: 26 * 3600 }, { what: "mongodb-backup restore test", ageSeconds: undefined, maxSeconds: 35 * day }])).toEqual([
      "mongodb-backup dump: last success 27.0 h ago, allowed 26.0 h",
      "mongodb-backup restore test: never succeeded",
    ]);
  });

  it("reads each provisioned dashboard's uid and title", () => {
    const dashboards = Object.entries(renderMonitoringFiles(defaultFilesInput()).grafana).filter(([file]) => file.endsWith(".json"));
    const read = provisionedDashboards(dashboards.map(([name, content]) => ({ name, content })));
    expect(read).toHaveLength(5);
    expect(read.every((d) => d.uid && d.uid !== "undefined" && d.title !== "undefined")).toBe(true);
  });
});

describe("edge", () => {
  it("fails a certificate of another CA, for other names, expired, or inside its renewal window", () => {
    const now = new Date("2026-12-01T00:00:00Z");
    const cert = { authorized: true, subjectAltNames: ["review.x", "cost.x"], validFrom: new Date("2026-01-01T00:00:00Z"), validTo: new Date("2027-12-01T00:00:00Z"), issuer: "CN=stack CA", fingerprint256: "AA" };
    const wanted = { dnsNames: ["review.x", "cost.x"], earlyRenewalDays: 30 };
    expect(certificateProblems("review.x", cert, wanted, now)).toEqual([]);
    expect(certificateProblems("review.x", { ...cert, authorized: false, authorizationError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE", issuer: "CN=other CA" }, wanted, now)).toEqual([
      "review.x: the chain does not verify against the stack's CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE; issuer CN=other CA)",
    ]);
    expect(certificateProblems("review.x", { ...cert, subjectAltNames: ["review.x"] }, wanted, now)[0]).toMatch(/SANs \(review\.x\) lack cost\.x/);
    expect(certificateProblems("review.x", { ...cert, validTo: new Date("2026-11-30T00:00:00Z") }, wanted, now)[0]).toMatch(/expired on 2026-11-30/);
    expect(certificateProblems("review.x", { ...cert, validTo: new Date("2026-12-11T00:00:00Z") }, wanted, now)[0]).toMatch(/expires in 10\.0 days .* inside tls\.earlyRenewalDays \(30\)/);
    expect(certificateProblems("review.x", { ...cert, hostnameError: "Hostname/IP does not match certificate's altnames" }, wanted, now)).toEqual(["review.x: Hostname/IP does not match certificate's altnames"]);
  });

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
    expect(unlistedOrigin([])).toBe("https://not-listed.verify.invalid");
    expect(unlistedOrigin(["https://not-listed.verify.invalid"])).toBe("https://not-listed-1.verify.invalid");
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

describe("mongodb-indexes", () => {
  const declared = specsByCollection(INDEX_CATALOG);
  const ttlCollection = INDEX_CATALOG.find((d) => d.expireAfterSeconds !== undefined)!.collection;

  it("the catalog has the eight indexes with the 30-day TTL this check is about", () => {
    expect(INDEX_CATALOG).toHaveLength(8);
    expect(INDEX_CATALOG.filter((d) => d.expireAfterSeconds === 2592000).map((d) => `${d.collection}.${d.keys[0]![0]}`)).toEqual(["review_queue.completed_at"]);
  });

  it("compares by name what the reconciler's read found: a missing index, a changed TTL", () => {
    const ttlName = Object.entries(declared.get(ttlCollection)!).find(([, spec]) => spec.expireAfterSeconds !== undefined)![0];
    const specs = { [ttlName]: declared.get(ttlCollection)![ttlName]! };
    const [name, spec] = Object.entries(specs)[0]!;
    expect(indexDrift(ttlCollection, specs, specs)).toEqual([]);
    expect(indexDrift(ttlCollection, specs, {})).toEqual([{ collection: ttlCollection, name, declared: expect.stringContaining("expireAfterSeconds 2592000") }]);
    const held = normalizeListedIndex({ name, key: { completed_at: 1 }, expireAfterSeconds: 60 }).spec;
    expect(indexDrift(ttlCollection, specs, { [name]: held })).toEqual([{ collection: ttlCollection, name, declared: expect.stringContaining("expireAfterSeconds 2592000"), held: expect.stringContaining("expireAfterSeconds 60") }]);
    expect(spec.expireAfterSeconds).toBe(2592000);
  });

  it("connects where verify reaches MongoDB, and never prints the password", () => {
    expect(withEndpoint("mongodb://enrichment:pa55@127.0.0.1:27018/enrichment?authSource=enrichment&directConnection=true", "127.0.0.1", 40001)).toBe(
      "mongodb://enrichment:pa55@127.0.0.1:40001/enrichment?authSource=enrichment&directConnection=true",
    );
    expect(redact("mongodb://enrichment:pa55word@127.0.0.1:27017/enrichment?authSource=admin")).toBe("mongodb://enrichment:***@127.0.0.1:27017/enrichment?authSource=admin");
  });

  describe("through the reconciler's read, against a MongoDB on the wire (FakeMongo)", () => {
    let fake: FakeMongo;
    const ctx = (uri: string) =>
      ({
        settings: { mongodb: { mode: "external", database: "enrichment" } },
        outputs: { caCertificate: "", mongodbAdminUri: uri },
      }) as unknown as VerifyContext;

    beforeAll(async () => {
      fake = await FakeMongo.start();
      for (const [collection, indexes] of declared) {
        await mongoIndexesProvider.create!({ connectionUri: fake.uri(), database: "enrichment", collection, indexes, timeouts: { serverSelectionMs: 5_000, connectMs: 5_000, commandMs: 10_000 } });
      }
    });
    afterAll(async () => fake?.stop());

    it("passes with every index as declared, then fails naming a dropped index and a changed TTL", async () => {
      const good = await checkMongoIndexes(ctx(fake.uri()));
      expect(good.status, good.detail).toBe("ok");
      expect(good.detail).toContain("all 8 indexes exist as declared, with the TTL (review_queue.completed_at expireAfterSeconds 2592000)");

      const [dropped] = Object.keys(declared.get("cost_records")!);
      fake.dropIndexDirectly("enrichment", "cost_records", dropped!);
      const ttlName = Object.entries(declared.get(ttlCollection)!).find(([, spec]) => spec.expireAfterSeconds !== undefined)![0];
      fake.setTtlDirectly("enrichment", ttlCollection, ttlName, 60);
      const bad = await checkMongoIndexes(ctx(fake.uri()));
      expect(bad.status).toBe("fail");
      expect(bad.detail).toContain(`cost_records.${dropped} is missing`);
      expect(bad.detail).toContain(`${ttlCollection}.${ttlName} differs`);
      expect(bad.detail).toContain("expireAfterSeconds 60");
    });

    it("fails, without the password, when MongoDB refuses the login", async () => {
      const guarded = await FakeMongo.start({ enrichment: { password: "right-password" } });
      try {
        const result = await checkMongoIndexes(ctx(guarded.uri({ user: "enrichment", password: "wrong-password" })));
        expect(result.status).toBe("fail");
        expect(result.detail).toMatch(/login failed for user enrichment/);
        expect(result.detail).not.toContain("wrong-password");
      } finally {
        await guarded.stop();
      }
    });
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

describe("containers", () => {
  it("names a container the stack deployed that is gone, and one labelled for it that it did not deploy", () => {
    expect(compareContainerSets(["e2e-a", "e2e-b"], ["e2e-a", "e2e-b"])).toEqual({ missing: [], unexpected: [] });
    expect(compareContainerSets(["e2e-a", "e2e-b"], ["e2e-a", "e2e-c"])).toEqual({ missing: ["e2e-b"], unexpected: ["e2e-c"] });
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
      "e2e-x: restart policy no, expected unless-stopped",
      "e2e-x: no memory limit (HostConfig.Memory 0)",
      "e2e-x: no CPU limit (NanoCpus 0, CpuQuota 0)",
    ]);
    const unhealthy = { ...good, State: { ...good.State, Health: { Status: "unhealthy", FailingStreak: 3, Log: [{ ExitCode: 1, Output: "connection refused\n" }] } } } as unknown as Docker.ContainerInspectInfo;
    expect(healthProblems("e2e-x", unhealthy)).toEqual(["e2e-x: health unhealthy (failing streak 3); last probe exited 1: connection refused"]);
    const noHealth = { ...good, State: { ...good.State, Health: undefined } } as unknown as Docker.ContainerInspectInfo;
    expect(healthProblems("e2e-y", noHealth)).toEqual(["e2e-y: has no healthcheck"]);
  });
});


describe("models (verify) and model pulls (the e2e's stand-in)", () => {
  const log = "2026-12-01T08:00:00Z\tllama3.2:3b\n2026-12-01T08:00:05Z\tmixtral:8x7b\n";
  const list = "NAME                           ID             SIZE     MODIFIED\nllama3.2:3b                    e2e            60       2026-12-01T08:00:00Z\nmixtral:8x7b                   e2e            61       2026-12-01T08:00:05Z\n";
  const models = { "llama3.2": "llama3.2:3b", mixtral: "mixtral:8x7b" };

  it("reads `ollama list` and names a model of the release it lacks", () => {
    expect(listedTags(list)).toEqual(["llama3.2:3b", "mixtral:8x7b"]);
    expect(missingModels(models, listedTags(list))).toEqual([]);
    expect(missingModels(models, listedTags(list.split("\n").slice(0, 2).join("\n")))).toEqual(["mixtral (mixtral:8x7b)"]);
    expect(missingModels({ embed: "nomic-embed-text" }, ["nomic-embed-text:latest"])).toEqual([]);
  });

  it("counts the stand-in's pulls.log lines per tag: one pull per configured tag passes", () => {
    expect([...pullCounts(log)]).toEqual([["llama3.2:3b", 1], ["mixtral:8x7b", 1]]);
    expect([...pullCounts("t\tnomic-embed-text\n")]).toEqual([["nomic-embed-text:latest", 1]]);
    expect(pullProblems(models, pullCounts(log))).toEqual([]);
  });

  it("fails a repeated pull, a missing one and a pull no model names", () => {
    expect(pullProblems(models, pullCounts(log + "2026-12-01T08:10:00Z\tllama3.2:3b\n"))).toEqual(["llama3.2 (llama3.2:3b) was pulled 2 times, expected exactly once"]);
    expect(pullProblems(models, pullCounts(log.split("\n")[0]!))).toEqual(["mixtral (mixtral:8x7b) was pulled 0 times, expected exactly once"]);
    expect(pullProblems({ "llama3.2": "llama3.2:3b" }, pullCounts(log))).toEqual(["mixtral:8x7b was pulled 1 time(s) but release.models does not name it"]);
  });
});

describe("secret-files", () => {
  const hex = (c: string) => c.repeat(64);

  it("knows when every process of a container is in a file's group (GroupAdd, which docker exec users get too)", () => {
    expect(joinsGroup(["0"], 0)).toBe(true);
    expect(joinsGroup(["root"], 0)).toBe(true);
    expect(joinsGroup(["0"], 10001)).toBe(false);
    expect(joinsGroup([], 0)).toBe(false);
    expect(joinsGroup(["10001"], 10001)).toBe(true);
  });

  it("never reads through the archive API a container that binds a host tree holding other mounts (cAdvisor's and the node exporter's binds)", () => {
    const bind = (Source: string) => ({ Type: "bind", Source });
    // cAdvisor's binds as the program declares them, and the node exporter's.
    expect(hostTreeBinds([bind("/"), bind("/var/run"), bind("/sys"), bind("/var/lib/docker/"), bind("/dev/disk")])).toEqual(["/", "/var/run", "/sys", "/var/lib/docker"]);
    expect(hostTreeBinds([bind("/proc")])).toEqual(["/proc"]);
    expect(hostTreeBinds([bind("/var")])).toEqual(["/var"]);
    // Volumes and ordinary binds are read as before.
    expect(hostTreeBinds([{ Type: "volume", Source: "/var/lib/docker/volumes/x/_data" }, bind("/etc/enrichment/edge"), bind("/srv/models")])).toEqual([]);
  });
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

  const owned = { configUser: "", reader: { uid: 999, gid: 999 }, groupAdd: [] };
  const asUser = { configUser: "65534", reader: { uid: 65534, gid: 65534 }, groupAdd: ["0"] };

  it("accepts the program's two forms: 0400 owned by the reader when the container has no user, 0440 root:root read through group 0 when it has one", () => {
    expect(deliveryProblems("/run/secrets/k", { uid: 999, gid: 999, mode: 0o100400 }, owned)).toEqual([]);
    expect(deliveryProblems("/run/secrets/k", { uid: 0, gid: 0, mode: 0o440 }, asUser)).toEqual([]);
    // A reader whose own group is 0 needs no group-add (Grafana's 472:0).
    expect(deliveryProblems("/run/secrets/k", { uid: 0, gid: 0, mode: 0o440 }, { configUser: "472", reader: { uid: 472, gid: 0 }, groupAdd: [] })).toEqual([]);
  });

  it("fails a file readable by all, one owned by someone else, the wrong form, and a container not in group 0", () => {
    expect(deliveryProblems("/run/secrets/k", { uid: 999, gid: 999, mode: 0o444 }, owned)).toEqual(["/run/secrets/k mode 0444: every user may read it (expected 0400: the container has no user, so the file is its reader's alone)"]);
    expect(deliveryProblems("/run/secrets/k", { uid: 0, gid: 0, mode: 0o400 }, owned)).toEqual(["/run/secrets/k is owned by 0:0 (mode 0400), expected the reader 999:999"]);
    expect(deliveryProblems("/run/secrets/k", { uid: 65534, gid: 65534, mode: 0o400 }, asUser)).toEqual([
      "/run/secrets/k is owned by 65534:65534 (mode 0400), expected root:root (the container runs as 65534: 0440, read through group 0)",
      "/run/secrets/k mode 0400 (expected 0440 root:root, read through group 0)",
    ]);
    expect(deliveryProblems("/run/secrets/k", { uid: 0, gid: 0, mode: 0o444 }, asUser)[0]).toMatch(/mode 0444: every user may read it/);
    expect(deliveryProblems("/run/secrets/k", { uid: 0, gid: 0, mode: 0o440 }, { ...asUser, groupAdd: [] })).toEqual(["/run/secrets/k: the container does not join group 0 (HostConfig.GroupAdd []), so 65534 cannot read it"]);
  });
});

// The whole edge check, run against the real nginx (Debian's) on the config the program renders,
// with stand-in upstreams that name themselves as tests/e2e/standins do: the check's requests,
// TLS verification, CORS cases and rate-limit burst meet real nginx behaviour here, not in the e2e only.
describeWithTools(["nginx", "openssl"], "the edge check against a real nginx", () => {
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
    const run = (args: string[]) => execFileSync(toolPath("openssl"), args, { cwd: dir, stdio: "pipe" });
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
      tls: { dnsNames, earlyRenewalDays: 0 },
      cors: { allowedOrigins: [`https://review.${domain}`] },
      rateLimit: { requestsPerSecond: 5, burst: 5 },
      exposure: { bindAddress: "127.0.0.1", publish: { edge: { port: httpsPort } } },
      images: {},
      ...over,
    }) as never;
  /** What the edge checks need of a live stack: the settings, the CA output, and a local engine's reach. */
  const ctx = (over: { settings?: Record<string, unknown>; caCertificate?: string } = {}): VerifyContext => {
    const s = settings(over.settings);
    return {
      stack: "t",
      prefix: "t",
      settings: s,
      outputs: { caCertificate: over.caCertificate ?? caCertPem },
      reach: new Reach({ docker: undefined as never, engine: { remote: false }, settings: s, stack: "t", namePrefix: "t", viaEngine: false }),
      earlier: new Map(),
      log: () => undefined,
    } as unknown as VerifyContext;
  };
  const edge = async (c: VerifyContext) => ({ tls: await checkEdgeTls(c), routing: await checkEdgeRouting(c), cors: await checkEdgeCors(c), rateLimit: await checkEdgeRateLimit(c) });

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

  it("passes on the rendered config: TLS with the CA, routes, CORS, 429 past the limit", async () => {
    const result = await edge(ctx());
    for (const [name, outcome] of Object.entries(result)) expect(outcome.status, `${name}: ${outcome.detail}`).toBe("ok");
    expect(result.tls.lookedAt).toMatch(/directly at 127\.0\.0\.1:\d+, against the stack output caCertificate/);
    expect(result.tls.detail).toContain("the chain verifies against the stack's CA for every name");
    expect(result.routing.detail).toContain(`review.${domain} -> review-api`);
    expect(result.routing.detail).toContain(`grafana.${domain} -> grafana`);
    expect(result.rateLimit.detail).toMatch(/\d+ requests in \d+ ms: \d+ passed, [1-9]\d* got 429/);
  });

  it("a certificate from another CA: edge-tls fails naming it, the HTTP checks say they could not run", async () => {
    const other = execFileSync(toolPath("openssl"), ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other-ca", "-keyout", "/dev/null"], { stdio: "pipe" }).toString();
    const c = ctx({ caCertificate: other });
    const tls = await checkEdgeTls(c);
    expect(tls.status).toBe("fail");
    expect(tls.detail).toMatch(new RegExp(`review\\.${domain.replace(/\./g, "\\.")}: the chain does not verify against the stack's CA \\(.*issuer CN=e2e-check-ca`));
    const routing = await checkEdgeRouting(c);
    expect(routing.status).toBe("cannot-run");
    expect(routing.detail).toMatch(/the edge's TLS does not verify against the stack's CA/);
  });

  it("fails a misrouted host, naming what answered and what was expected", async () => {
    const swapped = { ...upstreamPorts, review: upstreamPorts.cost!, cost: upstreamPorts.review! };
    await start([`https://review.${domain}`], swapped);
    try {
      const result = await checkEdgeRouting(ctx());
      expect(result.status).toBe("fail");
      expect(result.detail).toContain(`https://review.${domain} was answered by cost-api, expected review-api`);
      expect(result.detail).toContain(`https://cost.${domain} was answered by review-api, expected cost-api`);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });

  it("fails when the edge allows an origin the stack does not list", async () => {
    await start([`https://review.${domain}`, "https://not-listed.verify.invalid"], upstreamPorts);
    try {
      const result = await checkEdgeCors(ctx());
      expect(result.status).toBe("fail");
      expect(result.detail).toMatch(/GET on review\.e2e\.example\.test with Origin https:\/\/not-listed\.verify\.invalid \(not listed\): expected no Access-Control-\* header/);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });

  it("fails when the edge sends no CORS header to a listed origin", async () => {
    await start([], upstreamPorts);
    try {
      const result = await checkEdgeCors(ctx());
      expect(result.status).toBe("fail");
      expect(result.detail).toMatch(/OPTIONS on review\.e2e\.example\.test with Origin https:\/\/review\.e2e\.example\.test \(listed\): expected Access-Control-Allow-Origin/);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });

  it("fails when the edge never answers 429 (a limit far above the burst)", async () => {
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
      const result = await checkEdgeRateLimit(ctx());
      expect(result.status).toBe("fail");
      expect(result.detail).toMatch(/^no 429 in \d+ requests/);
    } finally {
      await start([`https://review.${domain}`], upstreamPorts);
    }
  });
});

describe("the e2e's check steps", () => {
  it("hold every module of tests/e2e/checks/ once, each exporting a check named after its file: backup and restore, verify, then the e2e-only steps that read it", async () => {
    const dir = path.join(__dirname, "e2e/checks");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => f.replace(/\.ts$/, "")).sort();
    const { ALL_CHECKS } = await import("./e2e/checks/support/all");
    for (const file of files) expect(ALL_CHECKS.map((c) => c.name), file).toContain(file);
    for (const file of files) {
      const module = (await import(`./e2e/checks/${file}`)) as { check?: { name: string; check: unknown } };
      expect(module.check?.name, file).toBe(file);
      expect(typeof module.check?.check, file).toBe("function");
    }
    // The live stack's checks are `npm run verify` (one step, `verify`); no second copy of them here.
    // backup starts the MinIO the off-host copier needs, so verify sees a fresh off-host copy.
    expect(ALL_CHECKS.map((c) => c.name).slice(0, 5)).toEqual(["backup", "restore", "verify", "alert-sink", "model-pulls"]);
    // Then the four break-and-repair steps of issue 19, named as the report names them.
    expect(ALL_CHECKS.map((c) => c.step ?? `check ${c.name}`)).toEqual([
      "backup", "restore", "verify", "check alert-sink", "check model-pulls",
      "verify detects a stopped container", "verify detects a dropped index", "verify detects a secret file's mode", "verify detects a certificate from another CA",
    ]);
  });
});
