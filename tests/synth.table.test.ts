// What would be deployed, at a glance (issue 11): the synth's per-service table is read from the
// same records as resources.json, so it cannot disagree with what the program registers.
import { beforeAll, describe, expect, it } from "vitest";
import { synthesize, type Evaluation } from "../synth/index";
import { renderServiceTable, serviceRows, type ServiceRow } from "../synth/table";

let staging: Evaluation;
let rows: ServiceRow[];
const row = (container: string) => {
  const found = rows.find((r) => r.container === container);
  if (!found) throw new Error(`no row for ${container}: ${rows.map((r) => r.container).join(", ")}`);
  return found;
};

beforeAll(async () => {
  staging = await synthesize({ stack: "staging" });
  rows = serviceRows(staging.records);
});

describe("the service table", () => {
  it("has one row per container, no more", () => {
    const containers = staging.records.filter((r) => r.type === "docker:index/container:Container");
    expect(rows.map((r) => r.container)).toEqual(containers.map((r) => r.inputs.name));
  });

  it("shows the image reference, not the image id", () => {
    expect(row("staging-mongodb").image).toBe("mongo:7.0.14");
    expect(row("staging-enrichment-worker-1").image).toMatch(/^registry\.example\.org\/enrichment\/enrichment-worker:[\w.]+@sha256:[0-9a-f]{64}$/);
    expect(rows.filter((r) => r.image.startsWith("sha256:"))).toEqual([]);
  });

  it("shows where a service is published, its size, volumes and how long up waits", () => {
    const mongodb = row("staging-mongodb");
    expect(mongodb.published).toBe("127.0.0.1:27018->27017");
    const inputs = staging.records.find((r) => r.inputs.name === "staging-mongodb")!.inputs;
    expect(mongodb.memoryMb).toBe(String(inputs.memory));
    expect(mongodb.cpus).toBe(String(inputs.cpus));
    expect(mongodb.waitSeconds).toBe(String(inputs.waitTimeout));
    expect(mongodb.volumes).toContain("staging-mongodb-data:/data/db");
    expect(row("staging-review-api").published).toBe("-");
  });

  it("shows the user a container runs as, or that the image decides", () => {
    for (const r of rows) {
      const inputs = staging.records.find((record) => record.inputs.name === r.container)!.inputs;
      expect(r.user).toBe(inputs.user === undefined ? "image default" : String(inputs.user));
    }
  });

  it("renders aligned columns with a heading", () => {
    const lines = renderServiceTable(staging.records).split("\n");
    expect(lines[0]).toMatch(/^container +image +published +memory MB +CPUs +volumes +health wait s +user$/);
    expect(lines[1]).toMatch(/^-+( +-+){7}$/);
    expect(lines).toHaveLength(rows.length + 2);
    const imageColumn = lines[0].indexOf("image");
    for (const line of lines.slice(2)) expect(line.slice(imageColumn - 2, imageColumn)).toBe("  ");
  });
});
