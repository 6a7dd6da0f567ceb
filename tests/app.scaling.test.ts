// Scaling the worker pool and splitting a canary, as two synth runs compared URN by URN: what
// appears, what disappears, and whether anything else changed its inputs.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { Evaluation, labelOf, ResourceRecord, synthesize } from "../synth";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";

const candidateImage = (service: string) => `registry.example.org/enrichment/${service}:1.5.0@sha256:${"5".repeat(64)}`;
const CANARY = {
  release: { version: "1.5.0", images: { "enrichment-worker": candidateImage("enrichment-worker"), "entity-agent": candidateImage("entity-agent") } },
  workers: 1,
  agents: ["entity-agent"],
};

const runs: Record<"two" | "four" | "twoCanary" | "fourCanary" | "splitAgent" | "splitAgentCanary", Evaluation> = {} as never;
/** entity-agent with two replicas, and a canary of one of them (what `npm run rollout` writes). */
const TWO_ENTITY_AGENTS = { "entity-agent": { replicas: 2 } };

beforeAll(async () => {
  const [two, four, twoCanary, fourCanary, splitAgent, splitAgentCanary] = await Promise.all([
    synthesize({ stack: "production", overrides: { workers: { replicas: 2 } } }),
    synthesize({ stack: "production", overrides: { workers: { replicas: 4 } } }),
    synthesize({ stack: "production", overrides: { workers: { replicas: 2 }, canary: CANARY } }),
    synthesize({ stack: "production", overrides: { workers: { replicas: 4 }, canary: CANARY } }),
    synthesize({ stack: "production", overrides: { workers: { replicas: 2 }, agents: TWO_ENTITY_AGENTS } }),
    synthesize({ stack: "production", overrides: { workers: { replicas: 2 }, agents: TWO_ENTITY_AGENTS, canary: { ...CANARY, agentReplicas: { "entity-agent": 1 } } } }),
  ]);
  Object.assign(runs, { two, four, twoCanary, fourCanary, splitAgent, splitAgentCanary });
});

/** What `pulumi up` would see going from `before` to `after`: created, deleted and changed URNs. */
function compare(before: Evaluation, after: Evaluation) {
  const index = (e: Evaluation) => new Map(e.records.map((r) => [r.urn, r]));
  const a = index(before);
  const b = index(after);
  const created = [...b.values()].filter((r) => !a.has(r.urn));
  const deleted = [...a.values()].filter((r) => !b.has(r.urn));
  const changed = [...b.values()].filter((r) => a.has(r.urn) && JSON.stringify(a.get(r.urn)) !== JSON.stringify(r));
  const unchanged = [...b.values()].filter((r) => a.has(r.urn) && JSON.stringify(a.get(r.urn)) === JSON.stringify(r));
  return { created, deleted, changed, unchanged };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/**
 * Records outside this plane that may change with a canary: the monitoring plane's containers,
 * whose scrape configuration labels each agent with its track. Scaling the worker pool changes
 * none of them: Prometheus finds the workers by DNS (the e2e found Prometheus replaced on every
 * scale while its config listed each worker).
 */
const outsideThePlane = (records: ResourceRecord[]) => records.filter((r) => !(r.type === CONTAINER && labelOf(r, "group") === "monitoring"));

const names = (records: ResourceRecord[], type?: string) => records.filter((r) => !type || r.type === type).map((r) => r.name).sort();

describe("scaling the workers changes only the containers it must", () => {
  it("2 -> 4 creates exactly two worker containers (and their components) and changes nothing else", () => {
    const diff = compare(runs.two, runs.four);
    expect(names(diff.created, CONTAINER)).toEqual(["enrichment-worker-3", "enrichment-worker-4"]);
    expect(names(diff.created)).toEqual(["enrichment-worker-3", "enrichment-worker-3", "enrichment-worker-4", "enrichment-worker-4"]);
    expect(diff.deleted).toEqual([]);
    expect(diff.changed.map((r) => r.urn)).toEqual([]);
    expect(diff.unchanged.length).toBe(runs.two.records.length);
  });

  it("4 -> 2 deletes the last two and changes nothing else", () => {
    const diff = compare(runs.four, runs.two);
    expect(names(diff.deleted, CONTAINER)).toEqual(["enrichment-worker-3", "enrichment-worker-4"]);
    expect(diff.created).toEqual([]);
    expect(diff.changed.map((r) => r.urn)).toEqual([]);
  });

  it("with a canary, scaling adds stable workers and leaves the canary where it is", () => {
    const diff = compare(runs.twoCanary, runs.fourCanary);
    expect(names(diff.created, CONTAINER)).toEqual(["enrichment-worker-3", "enrichment-worker-4"]);
    expect(diff.changed.map((r) => r.urn)).toEqual([]);
    for (const worker of diff.created.filter((r) => r.type === CONTAINER)) expect(labelOf(worker, "track")).toBe("stable");
  });

  it("the new workers share the pool's image instead of registering their own", () => {
    const images = (e: Evaluation) => names(e.records.filter((r) => r.name.startsWith("enrichment-worker")), IMAGE);
    expect(images(runs.two)).toEqual(["enrichment-worker-image"]);
    expect(images(runs.four)).toEqual(["enrichment-worker-image"]);
  });
});

describe("the canary split matches the config", () => {
  const container = (e: Evaluation, name: string) => e.records.find((r) => r.type === CONTAINER && r.name === name)!;
  /** The image resource a container runs: its `image` input is the image's id (under the synth's mocks, sha256 of the reference). */
  const imageOf = (e: Evaluation, record: ResourceRecord) =>
    e.records.find((r) => r.type === IMAGE && record.dependsOn.includes(r.urn) && `sha256:${sha256(String(r.inputs.name))}` === record.inputs.image)!;

  it("the first canary.workers workers and the named agents run the candidate; labels say which", () => {
    const e = runs.fourCanary;
    const tracks = ["enrichment-worker-1", "enrichment-worker-2", "enrichment-worker-3", "enrichment-worker-4"].map((name) => {
      const c = container(e, name);
      return [labelOf(c, "track"), labelOf(c, "release"), imageOf(e, c).inputs.name];
    });
    expect(tracks).toEqual([
      ["canary", "1.5.0", CANARY.release.images["enrichment-worker"]],
      ["stable", "1.4.0", expect.stringContaining("enrichment-worker:1.4.0@")],
      ["stable", "1.4.0", expect.stringContaining("enrichment-worker:1.4.0@")],
      ["stable", "1.4.0", expect.stringContaining("enrichment-worker:1.4.0@")],
    ]);
    const entity = container(e, "entity-agent");
    expect([labelOf(entity, "track"), labelOf(entity, "release"), imageOf(e, entity).inputs.name]).toEqual(["canary", "1.5.0", CANARY.release.images["entity-agent"]]);
    for (const name of ["metadata-agent", "structure-agent", "content-agent", "context-agent", "mcp-server", "enrichment-coordinator", "review-api", "cost-api"]) {
      expect([name, labelOf(container(e, name), "track"), labelOf(container(e, name), "release")]).toEqual([name, "stable", "1.4.0"]);
    }
  });

  it("turning the canary on changes the canary's containers and images, nothing else", () => {
    const diff = compare(runs.two, runs.twoCanary);
    expect(names(diff.created)).toEqual(["enrichment-worker-canary-image"]);
    expect(diff.deleted).toEqual([]);
    // And the pre-release snapshot (planes/backup): a candidate about to run is a release change.
    expect(names(outsideThePlane(diff.changed))).toEqual(["enrichment-worker-1", "entity-agent", "entity-agent-image", "pre-release-snapshot"]);
  });

  it("a canary of one replica of an agent changes that replica and adds the candidate's image; the other replica keeps its image and inputs", () => {
    const diff = compare(runs.splitAgent, runs.splitAgentCanary);
    expect(names(diff.created)).toEqual(["enrichment-worker-canary-image", "entity-agent-canary-image"]);
    expect(diff.deleted).toEqual([]);
    expect(names(outsideThePlane(diff.changed))).toEqual(["enrichment-worker-1", "entity-agent-1", "pre-release-snapshot"]);
    const e = runs.splitAgentCanary;
    const first = container(e, "entity-agent-1");
    const second = container(e, "entity-agent-2");
    expect([labelOf(first, "track"), labelOf(first, "release"), imageOf(e, first).inputs.name]).toEqual(["canary", "1.5.0", CANARY.release.images["entity-agent"]]);
    expect([labelOf(second, "track"), labelOf(second, "release"), imageOf(e, second).name]).toEqual(["stable", "1.4.0", "entity-agent-image"]);
  });

  it("every container of the platform's own images is told its release (ENRICHMENT_RELEASE = its release label): the label of its metrics", () => {
    const e = runs.splitAgentCanary;
    const released = e.records.filter((r) => r.type === CONTAINER && labelOf(r, "release"));
    expect(released.length).toBeGreaterThan(10);
    for (const container of released) {
      const envs = container.inputs.envs as string[];
      expect([container.name, envs.filter((env) => env.startsWith("ENRICHMENT_RELEASE="))]).toEqual([container.name, [`ENRICHMENT_RELEASE=${labelOf(container, "release")}`]]);
    }
    expect(labelOf(container(e, "enrichment-worker-1"), "release")).toBe("1.5.0");
    // Containers of third-party images are not told anything.
    const others = e.records.filter((r) => r.type === CONTAINER && !labelOf(r, "release"));
    for (const other of others) expect((other.inputs.envs as string[] | undefined) ?? []).not.toContainEqual(expect.stringMatching(/^ENRICHMENT_RELEASE=/));
  });
});
