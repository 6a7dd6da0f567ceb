// Pure planning of the application plane: the canary split, the agent plans built from the
// catalog (with stack overrides), and the feature-flag environment.
import { describe, expect, it } from "vitest";
import { AGENT_CATALOG, AgentEntry } from "../facts/agents";
import { AgentPlanInput, planAgents } from "../config/agentPlan";
import { CanarySettings, planAgent, planWorkers, workerName } from "../config/canary";
import { FEATURE_FLAGS, FEATURE_NAMES, featureEnv } from "../facts/features";
import { APP_SERVICES } from "../facts/services";

const digest = (c: string) => `@sha256:${c.repeat(64)}`;
const current = {
  version: "1.4.0",
  images: Object.fromEntries([...APP_SERVICES, ...AGENT_CATALOG.map((a) => a.name)].map((s) => [s, `registry.test/${s}:1.4.0${digest("a")}`])),
};
const candidate: CanarySettings = {
  release: { version: "1.5.0", images: { "enrichment-worker": `registry.test/enrichment-worker:1.5.0${digest("b")}`, "entity-agent": `registry.test/entity-agent:1.5.0${digest("c")}` } },
  workers: 2,
  agents: ["entity-agent"],
};

describe("planWorkers", () => {
  it("without a canary, every worker runs the current release", () => {
    const plan = planWorkers(3, current);
    expect(plan).toHaveLength(3);
    for (const a of plan) expect(a).toEqual({ track: "stable", version: "1.4.0", image: current.images["enrichment-worker"] });
  });

  it("the first canary.workers workers run the candidate, the rest the current release", () => {
    const plan = planWorkers(5, current, candidate);
    expect(plan.map((a) => a.track)).toEqual(["canary", "canary", "stable", "stable", "stable"]);
    expect(plan[0]).toEqual({ track: "canary", version: "1.5.0", image: candidate.release.images["enrichment-worker"] });
    expect(plan[4].version).toBe("1.4.0");
  });

  it("scaling the pool never moves an existing worker to the other track", () => {
    const small = planWorkers(2, current, { ...candidate, workers: 1 });
    const large = planWorkers(6, current, { ...candidate, workers: 1 });
    expect(large.slice(0, small.length)).toEqual(small);
    const back = planWorkers(3, current, { ...candidate, workers: 1 });
    expect(back).toEqual(large.slice(0, 3));
  });

  it("all workers on the candidate is allowed; no stable image is then needed", () => {
    const noStableWorker = { ...current, images: { ...current.images, "enrichment-worker": "" } };
    expect(planWorkers(2, noStableWorker, candidate).every((a) => a.track === "canary")).toBe(true);
  });

  it.each([
    ["more canary workers than replicas", () => planWorkers(1, current, candidate), "canary.workers must be an integer from 0 to workers.replicas (1), got 2"],
    ["no workers", () => planWorkers(0, current), "workers.replicas must be an integer >= 1, got 0"],
    ["a candidate without a worker image", () => planWorkers(3, current, { ...candidate, release: { version: "1.5.0", images: {} } }), 'canary.release.images has no "enrichment-worker" image'],
  ])("rejects %s", (_title, run, message) => {
    expect(run).toThrow(message);
  });

  it("worker names are stable and 1-based", () => {
    expect([1, 2, 10].map(workerName)).toEqual(["enrichment-worker-1", "enrichment-worker-2", "enrichment-worker-10"]);
  });
});

describe("planAgent", () => {
  it("an agent named by the canary runs the candidate; the others the current release or their override", () => {
    expect(planAgent("entity-agent", 1, current, candidate)).toEqual([{ track: "canary", version: "1.5.0", image: candidate.release.images["entity-agent"] }]);
    expect(planAgent("metadata-agent", 1, current, candidate)).toEqual([{ track: "stable", version: "1.4.0", image: current.images["metadata-agent"] }]);
    const override = `registry.test/metadata-agent:hotfix${digest("d")}`;
    expect(planAgent("metadata-agent", 2, current, candidate, override).map((a) => a.image)).toEqual([override, override]);
  });

  it("canary.agentReplicas puts the first replicas of a named agent on the candidate, the rest stay", () => {
    const split: CanarySettings = { ...candidate, agentReplicas: { "entity-agent": 1 } };
    expect(planAgent("entity-agent", 3, current, split).map((a) => a.track)).toEqual(["canary", "stable", "stable"]);
    expect(planAgent("entity-agent", 3, current, split)[1]).toEqual({ track: "stable", version: "1.4.0", image: current.images["entity-agent"] });
    // Unset: all replicas, as before the setting existed.
    expect(planAgent("entity-agent", 3, current, candidate).map((a) => a.track)).toEqual(["canary", "canary", "canary"]);
    // Growing the agent adds stable replicas at the end and moves none.
    expect(planAgent("entity-agent", 4, current, split).slice(0, 3)).toEqual(planAgent("entity-agent", 3, current, split));
    // An agent the canary does not name ignores the setting.
    expect(planAgent("metadata-agent", 2, current, { ...split, agentReplicas: { "metadata-agent": 1 } }).map((a) => a.track)).toEqual(["stable", "stable"]);
  });

  it.each([
    ["more candidate replicas than the agent has", () => planAgent("entity-agent", 2, current, { ...candidate, agentReplicas: { "entity-agent": 3 } }), "canary.agentReplicas.entity-agent must be an integer from 1 to the agent's replicas (2), got 3"],
    ["no replicas", () => planAgent("entity-agent", 0, current), "entity-agent replicas must be an integer >= 1, got 0"],
  ])("rejects %s", (_title, run, message) => {
    expect(run).toThrow(message);
  });
});

const input = (over: Partial<AgentPlanInput> = {}): AgentPlanInput => ({
  overrides: {},
  models: { "llama3.2": "llama3.2:3b", mixtral: "mixtral:8x7b" },
  release: current,
  defaultSize: { memoryMb: 512, cpus: 0.5 },
  ...over,
});

describe("planAgents: the catalog as plans", () => {
  it("one plan per catalog entry, with the pulled tags and only its own models to wait for", () => {
    const plans = planAgents(input());
    expect(plans.map((p) => p.name)).toEqual(AGENT_CATALOG.map((a) => a.name));
    const byName = Object.fromEntries(plans.map((p) => [p.name, p]));
    expect(byName["structure-agent"]).toMatchObject({ modelTag: "llama3.2:3b", fallbackTag: "mixtral:8x7b", pulls: ["llama3.2", "mixtral"] });
    expect(byName["metadata-agent"]).toMatchObject({ modelTag: "llama3.2:3b", pulls: ["llama3.2"], replicas: 1, memoryMb: 512, cpus: 0.5 });
    expect(byName["metadata-agent"].fallbackTag).toBeUndefined();
    expect(byName["context-agent"]).toMatchObject({ backend: "anthropic", modelTag: "claude-opus-4-1", pulls: [] });
  });

  it("a stack overrides model, image and size of any entry", () => {
    const image = `registry.test/content-agent:exp${digest("e")}`;
    const plans = planAgents(
      input({
        overrides: {
          "content-agent": { model: "mixtral", image, replicas: 3, memoryMb: 2048, cpus: 2 },
          "context-agent": { model: "claude-sonnet-4-5" },
        },
      }),
    );
    const content = plans.find((p) => p.name === "content-agent")!;
    expect(content).toMatchObject({ model: "mixtral", modelTag: "mixtral:8x7b", pulls: ["mixtral"], replicas: 3, memoryMb: 2048, cpus: 2 });
    expect(content.assignments.map((a) => a.image)).toEqual([image, image, image]);
    expect(plans.find((p) => p.name === "context-agent")!.modelTag).toBe("claude-sonnet-4-5");
  });

  it("a sixth agent is one more catalog entry, and nothing else", () => {
    const sixth: AgentEntry = { name: "translation-agent", role: "translation", backend: "ollama", model: "mixtral", environment: { TARGET_LANGUAGE: "en" }, replicas: 2 };
    const release = { ...current, images: { ...current.images, "translation-agent": `registry.test/translation-agent:1${digest("f")}` } };
    const plans = planAgents(input({ catalog: [...AGENT_CATALOG, sixth], release }));
    expect(plans).toHaveLength(AGENT_CATALOG.length + 1);
    expect(plans.at(-1)).toMatchObject({ name: "translation-agent", modelTag: "mixtral:8x7b", pulls: ["mixtral"], replicas: 2, environment: { TARGET_LANGUAGE: "en" } });
  });

  it("lists every problem with the key to change", () => {
    const { "structure-agent": _dropped, ...images } = current.images;
    let message = "";
    try {
      planAgents(
        input({
          models: { "llama3.2": "llama3.2:3b" },
          overrides: { "entity-agent": { model: "qwen2" }, "summary-agent": {} },
          release: { ...current, images },
          canary: { ...candidate, agents: ["ghost-agent"] },
        }),
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('enrichment:agents.entity-agent.model: expected a model the stack pulls (release.models: llama3.2), got "qwen2"');
    expect(message).toContain('enrichment:agents.structure-agent.fallbackModel: expected a model the stack pulls (release.models: llama3.2), got "mixtral"');
    expect(message).toContain('enrichment:agents.summary-agent: expected an agent from facts/agents.ts: metadata-agent, entity-agent, structure-agent, content-agent, context-agent, got "summary-agent"');
    expect(message).toContain('enrichment:canary.agents: expected agent names from facts/agents.ts: metadata-agent, entity-agent, structure-agent, content-agent, context-agent, got "ghost-agent"');
    expect(message).toContain('release.images has no "structure-agent" image');
  });

  it("rejects a catalog with a duplicate or malformed name", () => {
    expect(() => planAgents(input({ catalog: [AGENT_CATALOG[0], AGENT_CATALOG[0]] }))).toThrow('facts/agents.ts: "metadata-agent" appears twice');
    expect(() => planAgents(input({ catalog: [{ ...AGENT_CATALOG[0], name: "Meta_Agent" }] }))).toThrow('"Meta_Agent" must be lower-case letters');
  });
});

describe("feature flags", () => {
  it("every reader is a platform service or a catalog agent", () => {
    const services = new Set<string>([...APP_SERVICES, ...AGENT_CATALOG.map((a) => a.name)]);
    for (const name of FEATURE_NAMES) for (const reader of FEATURE_FLAGS[name].readBy) expect(services, `${name} read by ${reader}`).toContain(reader);
  });

  it("a service gets exactly the flags it reads: the stack's value, else the default", () => {
    expect(featureEnv("review-api", { ENABLE_AUTO_APPROVAL: true, ENABLE_COST_TRACKING: false })).toEqual({ ENABLE_AUTO_APPROVAL: "true" });
    expect(featureEnv("cost-api", {})).toEqual({ ENABLE_COST_TRACKING: String(FEATURE_FLAGS.ENABLE_COST_TRACKING.default) });
    expect(featureEnv("enrichment-worker", { ENABLE_CONTEXT_AGENT: false })).toEqual({
      ENABLE_AUTO_APPROVAL: String(FEATURE_FLAGS.ENABLE_AUTO_APPROVAL.default),
      ENABLE_CONTEXT_AGENT: "false",
      ENABLE_COST_TRACKING: String(FEATURE_FLAGS.ENABLE_COST_TRACKING.default),
    });
    expect(featureEnv("metadata-agent", { ENABLE_AUTO_APPROVAL: true })).toEqual({});
  });
});
