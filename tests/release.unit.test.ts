// The release library's parts on their own: analysis semantics, the Prometheus client's error
// handling (against a local HTTP server), gate queries, the diff printer and stack file edits.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { TargetsSchema } from "../config/targets";
import { gateVerdict, judge, Measurement, overallVerdict, replayClock, runAnalysis, SamplingPlan } from "../release/analysis";
import { maskSecrets, unifiedDiff } from "../release/diff";
import { parseDuration, promDuration } from "../release/duration";
import { GateContext, GATES } from "../release/gates";
import { PrometheusClient, PrometheusError } from "../release/prometheus";
import { runPromote } from "../release/promote";
import { HISTORY_LIMIT, loadStack, withPromotedRelease } from "../release/stackEdit";
import { captureIo, configKeys, configValue, stackDir } from "./fixtures/release/support";

const at = new Date("2026-11-02T10:00:00Z");
const m = (verdict: Measurement["verdict"]): Measurement => ({ at, verdict });
const plan = (count: number, failureLimit = 0): SamplingPlan => ({ count, intervalSeconds: 60, failureLimit });

describe("analysis (count, interval, failure limit, inconclusive)", () => {
  it("judges values against the threshold; no data and NaN/Inf are inconclusive", () => {
    expect(judge(0.96, ">=", 0.95)).toBe("pass");
    expect(judge(0.95, ">=", 0.95)).toBe("pass");
    expect(judge(0.94, ">=", 0.95)).toBe("fail");
    expect(judge(0.6, "<=", 0.5)).toBe("fail");
    expect(judge(undefined, ">=", 0)).toBe("inconclusive");
    expect(judge(Number.NaN, "<=", 1)).toBe("inconclusive");
    expect(judge(Number.POSITIVE_INFINITY, "<=", 1)).toBe("inconclusive");
  });

  it("tolerates up to failureLimit failed measurements", () => {
    expect(gateVerdict([m("pass"), m("fail"), m("pass")], plan(3, 0))).toBe("fail");
    expect(gateVerdict([m("pass"), m("fail"), m("pass")], plan(3, 1))).toBe("pass");
    expect(gateVerdict([m("fail"), m("fail"), m("pass")], plan(3, 1))).toBe("fail");
  });

  it("never passes with missing or too few measurements", () => {
    expect(gateVerdict([m("pass"), m("inconclusive"), m("pass")], plan(3))).toBe("inconclusive");
    expect(gateVerdict([m("pass"), m("pass")], plan(3))).toBe("inconclusive");
    expect(gateVerdict([], plan(1))).toBe("inconclusive");
    // A failure beyond the limit decides even with missing data.
    expect(gateVerdict([m("fail"), m("inconclusive")], plan(2))).toBe("fail");
  });

  it("a failed gate beats an inconclusive one; nothing measured is not a pass", () => {
    expect(overallVerdict(["pass", "inconclusive", "fail"])).toBe("fail");
    expect(overallVerdict(["pass", "inconclusive"])).toBe("inconclusive");
    expect(overallVerdict(["pass", "pass"])).toBe("pass");
    expect(overallVerdict([])).toBe("inconclusive");
  });

  it("measures every gate count times, interval apart, and turns query errors into inconclusive", async () => {
    const context: GateContext = { release: "1.4.1", targets: TargetsSchema.parse({}), soakMinutes: 60, windowSeconds: 900 };
    const seen: string[] = [];
    const result = await runAnalysis({
      gates: GATES,
      context,
      plan: { count: 3, intervalSeconds: 90, failureLimit: 0 },
      clock: replayClock(at),
      measure: async (gate, when) => {
        seen.push(`${gate.id}@${when.toISOString()}`);
        if (gate.id === "cost") throw new PrometheusError("HTTP 503: unavailable");
        if (gate.id === "completeness") return undefined;
        // Values that pass every threshold.
        return gate.comparison === ">=" ? 1e6 : 0;
      },
    });
    expect(seen).toHaveLength(GATES.length * 3);
    expect(new Set(seen.map((s) => s.split("@")[1]))).toEqual(new Set(["2026-11-02T10:00:00.000Z", "2026-11-02T10:01:30.000Z", "2026-11-02T10:03:00.000Z"]));
    const byId = Object.fromEntries(result.outcomes.map((o) => [o.gate.id, o]));
    expect(byId.cost.verdict).toBe("inconclusive");
    expect(byId.cost.measurements[0].note).toContain("HTTP 503");
    expect(byId.completeness.verdict).toBe("inconclusive");
    expect(byId.throughput.verdict).toBe("pass");
    expect(result.verdict).toBe("inconclusive");
  });
});

describe("gates", () => {
  const targets = TargetsSchema.parse({ completenessMin: 0.9, throughputMinPerHour: 10 });
  const context: GateContext = { release: 'we"ird\\1', targets, soakMinutes: 30, windowSeconds: 1800 };

  it("take thresholds from the stack's targets (defaults: the spec's targets)", () => {
    const defaults: GateContext = { ...context, targets: TargetsSchema.parse({}) };
    const threshold = (ctx: GateContext) => Object.fromEntries(GATES.map((g) => [g.id, g.threshold(ctx)]));
    expect(threshold(defaults)).toEqual({
      documents: 20,
      soak: 30,
      throughput: 50,
      completeness: 0.95,
      "auto-approval": 0.9,
      cost: 0.5,
      latency: 120,
      "document-errors": 0.001,
      "api-errors": 0.001,
      "critical-alerts": 0,
    });
    expect(threshold(context).completeness).toBe(0.9);
    expect(threshold(context).throughput).toBe(10);
  });

  it("select the promoted release, escaped, wherever the metric has the label", () => {
    for (const gate of GATES) {
      const query = gate.query(context);
      if (gate.id === "critical-alerts") expect(query).not.toContain("release=");
      else expect(query).toContain('release="we\\"ird\\\\1"');
    }
    expect(GATES.find((g) => g.id === "throughput")?.query(context)).toContain("[30m]");
  });

  it("durations", () => {
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration("15m")).toBe(900);
    expect(parseDuration("1.5h")).toBe(5400);
    expect(parseDuration("soon")).toBeUndefined();
    expect(promDuration(3600)).toBe("1h");
    expect(promDuration(900)).toBe("15m");
    expect(promDuration(90)).toBe("90s");
  });
});

describe("Prometheus client", () => {
  let server: http.Server;
  let base = "";
  const routes: Record<string, (res: http.ServerResponse, body: string) => void> = {};

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const handler = routes[req.url ?? ""];
        if (handler) handler(res, body);
        else res.writeHead(404).end("not found");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (res: http.ServerResponse, status: number, payload: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));

  it("sends the query and the evaluation time; keeps a path prefix", async () => {
    let received = "";
    routes["/prom/api/v1/query"] = (res, body) => {
      received = body;
      json(res, 200, { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, "0.97"] }] } });
    };
    const client = new PrometheusClient(`${base}/prom`);
    expect(await client.queryValue("up", at)).toBe(0.97);
    const params = new URLSearchParams(received);
    expect(params.get("query")).toBe("up");
    expect(Number(params.get("time"))).toBe(at.getTime() / 1000);
  });

  it("no series is no data; NaN stays NaN; several series are an error", async () => {
    routes["/api/v1/query"] = (res, body) => {
      const query = new URLSearchParams(body).get("query");
      const result =
        query === "empty"
          ? []
          : query === "nan"
            ? [{ metric: {}, value: [1, "NaN"] }]
            : [{ metric: { a: "1" }, value: [1, "1"] }, { metric: { a: "2" }, value: [1, "2"] }];
      json(res, 200, { status: "success", data: { resultType: "vector", result } });
    };
    const client = new PrometheusClient(base);
    expect(await client.queryValue("empty", at)).toBeUndefined();
    expect(await client.queryValue("nan", at)).toBeNaN();
    await expect(client.queryValue("two", at)).rejects.toThrow(/expected one series, got 2/);
  });

  it("reports Prometheus errors and non-API answers", async () => {
    routes["/bad/api/v1/query"] = (res) => json(res, 400, { status: "error", errorType: "bad_data", error: "parse error" });
    routes["/html/api/v1/query"] = (res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>bad gateway</html>");
    await expect(new PrometheusClient(`${base}/bad`).queryValue("x", at)).rejects.toThrow("HTTP 400: bad_data: parse error");
    await expect(new PrometheusClient(`${base}/html`).queryValue("x", at)).rejects.toThrow(/HTTP 502.*not a Prometheus API answer/);
  });

  it("gives up on a hung Prometheus after the timeout", async () => {
    routes["/hang/api/v1/query"] = () => undefined; // never answers
    const started = Date.now();
    await expect(new PrometheusClient(`${base}/hang`, { timeoutMs: 300 }).queryValue("x", at)).rejects.toThrow(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("turns user:password@ into a Basic header and never shows the password", async () => {
    let authorization: string | undefined;
    const server2 = http.createServer((req, res) => {
      authorization = req.headers.authorization;
      json(res, 200, { status: "success", data: { resultType: "scalar", result: [1, "3"] } });
    });
    await new Promise<void>((resolve) => server2.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server2.address() as AddressInfo).port;
      const client = new PrometheusClient(`http://ops:s3cr%40t@127.0.0.1:${port}/`);
      expect(client.url).not.toContain("s3cr");
      expect(await client.queryValue("scalar(3)", at)).toBe(3);
      expect(authorization).toBe(`Basic ${Buffer.from("ops:s3cr@t").toString("base64")}`);
    } finally {
      server2.closeAllConnections();
      await new Promise((resolve) => server2.close(resolve));
    }
  });

  it("rejects URLs that are not http(s)", () => {
    expect(() => new PrometheusClient("ftp://example.org")).toThrow(PrometheusError);
    expect(() => new PrometheusClient("not a url")).toThrow(PrometheusError);
  });
});

describe("diff", () => {
  it("prints a unified diff with context, and nothing when equal", () => {
    const before = "a\nb\nc\nd\ne\nf\ng\nh\n";
    const after = "a\nb\nc\nD\ne\nf\ng\nh\ni\n";
    expect(unifiedDiff(before, before, { from: "a", to: "b" })).toBe("");
    expect(unifiedDiff(before, after, { from: "a/x", to: "b/x" })).toBe(
      ["--- a/x", "+++ b/x", "@@ -1,8 +1,9 @@", " a", " b", " c", "-d", "+D", " e", " f", " g", " h", "+i", ""].join("\n"),
    );
  });

  it("splits distant changes into hunks with correct line numbers", () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");
    const after = before.replace("line 2\n", "line two\n").replace("line 18\n", "");
    const diff = unifiedDiff(before, after, { from: "a", to: "b" });
    expect(diff).toContain("@@ -1,5 +1,5 @@");
    expect(diff).toContain("@@ -15,6 +15,5 @@");
  });

  it("masks secure: values", () => {
    expect(maskSecrets("    secure: v1:abc:def")).toBe("    secure: [encrypted, not shown]");
    expect(maskSecrets("  enrichment:x: { secure: v1:abc }")).toBe("  enrichment:x: { secure: [encrypted, not shown] }");
    expect(maskSecrets("    version: 1.4.1")).toBe("    version: 1.4.1");
  });
});

describe("stack file edits", () => {
  it("adds releaseHistory right after the release when the file has none (staging)", () => {
    const stacks = stackDir();
    try {
      const staging = loadStack("staging", stacks.file("staging"));
      const production = loadStack("production", stacks.file("production"));
      const text = withPromotedRelease(staging, production.settings.release, at);
      const keys = configKeys(text);
      expect(keys.indexOf("enrichment:releaseHistory")).toBe(keys.indexOf("enrichment:release") + 1);
      expect(keys.filter((k) => k !== "enrichment:releaseHistory")).toEqual(configKeys(staging.text));
      expect((configValue(text, "enrichment:releaseHistory") as { replacedBy: string }[])[0].replacedBy).toBe("1.4.0");
    } finally {
      stacks.remove();
    }
  });

  it(`keeps at most ${HISTORY_LIMIT} history entries, newest first`, () => {
    const stacks = stackDir();
    try {
      const base = loadStack("production", stacks.file("production")).settings.release;
      for (let i = 1; i <= HISTORY_LIMIT + 2; i++) {
        const current = loadStack("production", stacks.file("production"));
        stacks.write("production", withPromotedRelease(current, { ...base, version: `2.0.${i}` }, at));
      }
      const history = configValue(stacks.read("production"), "enrichment:releaseHistory") as { release: { version: string } }[];
      expect(history).toHaveLength(HISTORY_LIMIT);
      expect(history[0].release.version).toBe(`2.0.${HISTORY_LIMIT + 1}`);
      expect(history.at(-1)?.release.version).toBe("2.0.2");
      expect(YAML.parseDocument(stacks.read("production")).errors).toEqual([]);
    } finally {
      stacks.remove();
    }
  });
});

describe("promote usage errors (exit 3, before any measurement)", () => {
  it.each([
    [[], "--from and --to are required"],
    [["--from", "staging", "--to", "staging"], "same stack"],
    [["--from", "staging", "--to", "production", "--count", "0"], "--count"],
    [["--from", "staging", "--to", "production", "--interval", "soon"], "--interval"],
    [["--from", "staging", "--to", "production", "--at", "yesterday"], "--at"],
    [["--from", "staging", "--to", "production", "--frobnicate"], "error: unknown option --frobnicate (npm run promote -- --help lists the options)"],
    [["--from", "staging", "--to", "production", "--dir", "/nonexistent"], "no such stack file"],
  ])("%j", async (args, message) => {
    const capture = captureIo();
    expect(await runPromote(args as string[], capture.io)).toBe(3);
    expect(capture.err()).toContain(message);
  });

  it("without a Prometheus URL in config or on the command line", async () => {
    const stacks = stackDir();
    try {
      stacks.edit("staging", (doc) => doc.deleteIn(["config", "enrichment:promotion", "prometheusUrl"]));
      const capture = captureIo();
      expect(await runPromote(["--from", "staging", "--to", "production", "--dir", stacks.dir], capture.io)).toBe(3);
      expect(capture.err()).toContain("no Prometheus URL for staging");
    } finally {
      stacks.remove();
    }
  });

  it("with a staging file that does not validate", async () => {
    const stacks = stackDir();
    try {
      stacks.edit("staging", (doc) => doc.setIn(["config", "enrichment:release", "images", "review-api"], "registry.example.org/review-api:latest"));
      const capture = captureIo();
      expect(await runPromote(["--from", "staging", "--to", "production", "--dir", stacks.dir], capture.io)).toBe(3);
      expect(capture.err()).toContain("enrichment:release.images.review-api: expected an image pinned by digest");
    } finally {
      stacks.remove();
    }
  });

  it("--help", async () => {
    const capture = captureIo();
    expect(await runPromote(["--help"], capture.io)).toBe(0);
    expect(capture.out()).toContain("Exit codes (shared by every command):");
    expect(capture.out()).toMatch(/^ {2}4 {2}a server it needs could not be reached/m);
  });
});
