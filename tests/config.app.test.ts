// The application plane's config rules (features, canary, agent overrides, CORS, rate limit),
// each checked by the message it gives and its key path.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig, RawConfig } from "../config/load";
import { FEATURE_NAMES } from "../facts/features";
import { configProblems, rawConfig, SHIPPED_SECRETS, type Values } from "./fixtures/config/stackConfig";

const SECRETS = SHIPPED_SECRETS;
const secretValue = () => pulumi.secret("x");

const raw = (stack: "staging" | "production", edit: (values: Values) => void) => rawConfig(stack, edit, SECRETS);
const problemsOf = (config: RawConfig) => configProblems(config);

const candidateImage = (service: string) => `registry.example.org/enrichment/${service}:1.5.0@sha256:${"c".repeat(64)}`;
const canary = (over: Record<string, unknown> = {}) => ({
  release: { version: "1.5.0", images: { "enrichment-worker": candidateImage("enrichment-worker"), "entity-agent": candidateImage("entity-agent") } },
  workers: 1,
  agents: ["entity-agent"],
  ...over,
});

describe("application plane config rules and their messages", () => {
  const cases: [string, "staging" | "production", (v: Record<string, any>) => void, string][] = [
    [
      "a flag no service reads",
      "staging",
      (v) => (v.features = { ...v.features, ENABLE_HYBRID_SEARCH: true }),
      `enrichment:features.ENABLE_HYBRID_SEARCH: expected a flag from facts/features.ts: ${FEATURE_NAMES.join(", ")}, got "ENABLE_HYBRID_SEARCH"`,
    ],
    [
      "an origin with a path",
      "staging",
      (v) => (v.cors.allowedOrigins = ["https://review.example.org/app"]),
      'enrichment:cors.allowedOrigins.0: expected an origin such as https://review.example.org (lower-case scheme://host[:port], no path or trailing slash), got "https://review.example.org/app"',
    ],
    ["an origin with a trailing slash", "staging", (v) => (v.cors.allowedOrigins = ["https://review.example.org/"]), "enrichment:cors.allowedOrigins.0: expected an origin such as"],
    ["a wildcard origin", "production", (v) => (v.cors.allowedOrigins = ["*"]), 'enrichment:cors.allowedOrigins.0: expected an origin such as https://review.example.org (lower-case scheme://host[:port], no path or trailing slash), got "*"'],
    ["a rate of zero", "staging", (v) => (v.rateLimit.requestsPerSecond = 0), "enrichment:rateLimit.requestsPerSecond: expected an integer >= 1, got 0"],
    ["a negative burst", "staging", (v) => (v.rateLimit.burst = -1), "enrichment:rateLimit.burst: expected an integer >= 0, got -1"],
    ["a canary that moves nothing", "production", (v) => (v.canary = canary({ workers: 0, agents: [] })), "enrichment:canary: expected canary.workers > 0 or canary.agents naming an agent (remove the canary block to run only the current release)"],
    ["a canary of the current version", "production", (v) => (v.canary = canary({ release: { version: "1.4.0", images: canary().release.images } })), 'enrichment:canary.release.version: expected a version other than release.version (1.4.0): the release labels tell the two apart, got "1.4.0"'],
    ["canary workers without the candidate's worker image", "production", (v) => (v.canary = canary({ release: { version: "1.5.0", images: { "entity-agent": candidateImage("entity-agent") } } })), "enrichment:canary.release.images.enrichment-worker: expected the candidate's enrichment-worker image (pinned by digest): canary.workers run it, got nothing"],
    ["a canary agent without the candidate's image", "production", (v) => (v.canary = canary({ agents: ["entity-agent", "content-agent"] })), "enrichment:canary.release.images.content-agent: expected the candidate's image for this agent (pinned by digest): canary.agents names it, got nothing"],
    ["a canary agent not in the catalog", "production", (v) => (v.canary = canary({ agents: ["summary-agent"] })), 'enrichment:canary.agents: expected agent names from facts/agents.ts: metadata-agent, entity-agent, structure-agent, content-agent, context-agent, got "summary-agent"'],
    ["more canary workers than workers", "production", (v) => (v.canary = canary({ workers: 3 })), "enrichment:canary.workers: expected at most workers.replicas (2), got 3"],
    ["a candidate image by tag only", "production", (v) => (v.canary = canary({ release: { version: "1.5.0", images: { "enrichment-worker": "registry.example.org/enrichment/enrichment-worker:1.5.0" } } })), "enrichment:canary.release.images.enrichment-worker: expected an image pinned by digest"],
    ["a candidate image of an unknown service", "production", (v) => (v.canary = canary({ release: { version: "1.5.0", images: { ...canary().release.images, "ocr-backend": candidateImage("ocr-backend") } } })), 'enrichment:canary.release.images.ocr-backend: expected one of mcp-server'],
    ["canary agent replicas beyond the agent's", "production", (v) => ((v.agents = { "entity-agent": { replicas: 2 } }), (v.canary = canary({ agentReplicas: { "entity-agent": 3 } }))), "enrichment:canary.agentReplicas.entity-agent: expected at most the agent's replicas (2; enrichment:agents.entity-agent.replicas), got 3"],
    ["canary agent replicas of an agent the canary does not name", "production", (v) => (v.canary = canary({ agentReplicas: { "content-agent": 1 } })), 'enrichment:canary.agentReplicas.content-agent: expected an agent that canary.agents names, got "content-agent"'],
    ["canary agent replicas of zero", "production", (v) => (v.canary = canary({ agentReplicas: { "entity-agent": 0 } })), "enrichment:canary.agentReplicas.entity-agent: expected an integer from 1 to 32, got 0"],
    ["an unknown agent override", "staging", (v) => (v.agents = { "summary-agent": { replicas: 2 } }), 'enrichment:agents.summary-agent: expected an agent from facts/agents.ts: metadata-agent, entity-agent, structure-agent, content-agent, context-agent, got "summary-agent"'],
    ["an override naming a model the stack does not pull", "staging", (v) => (v.agents = { "content-agent": { model: "qwen2" } }), 'enrichment:agents.content-agent.model: expected a model the stack pulls (release.models: llama3.2, mixtral), got "qwen2"'],
    ["an override naming a fallback the stack does not pull", "staging", (v) => (v.agents = { "entity-agent": { fallbackModel: "gemma2" } }), 'enrichment:agents.entity-agent.fallbackModel: expected a model the stack pulls (release.models: llama3.2, mixtral), got "gemma2"'],
    ["an agent image by tag only", "staging", (v) => (v.agents = { "entity-agent": { image: "registry.example.org/enrichment/entity-agent:dev" } }), "enrichment:agents.entity-agent.image: expected an image pinned by digest"],
    ["agent replicas of zero", "staging", (v) => (v.agents = { "entity-agent": { replicas: 0 } }), "enrichment:agents.entity-agent.replicas: expected an integer from 1 to 32, got 0"],
    ["agent replicas beyond a host", "staging", (v) => (v.agents = { "entity-agent": { replicas: 33 } }), "enrichment:agents.entity-agent.replicas: expected an integer from 1 to 32, got 33"],
    ["an agent catalog without its release image", "staging", (v) => delete v.release.images["context-agent"], "enrichment:release.images.context-agent: expected an image pinned by digest for this service"],
  ];

  it.each(cases)("%s", (_title, stack, edit, expected) => {
    const problems = problemsOf(raw(stack, edit));
    expect(problems.some((p) => p.startsWith(expected)), `expected a problem starting with:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`).toBe(true);
  });
});

describe("valid application plane settings", () => {
  it("a canary, agent overrides, origins and known flags parse as given", () => {
    const config = parseStackConfig(
      "production",
      raw("production", (v) => {
        v.canary = canary();
        v.agents = { "content-agent": { model: "mixtral", replicas: 2 } };
        v.cors.allowedOrigins = ["https://review.enrichment.example.org", "http://localhost:3000"];
        v.features = { ENABLE_AUTO_APPROVAL: false };
      }),
      secretValue,
    );
    expect(config.settings.canary).toEqual(canary());
    expect(config.settings.agents["content-agent"]).toEqual({ model: "mixtral", replicas: 2 });
    expect(config.settings.cors.allowedOrigins).toEqual(["https://review.enrichment.example.org", "http://localhost:3000"]);
    expect(config.settings.features).toEqual({ ENABLE_AUTO_APPROVAL: false });
  });
});
