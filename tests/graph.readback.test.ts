// Every container of both shipped stacks is sent in the form the docker provider reads back
// (facts/readback.ts): cpus (ForceNew: any other string replaces the container on every
// `pulumi up`), healthcheck durations (a no-op diff on every preview), ports in the order they
// are read back (a ForceNew list), memory as whole MB, gpus only in a form that reads back as
// sent; and no ignoreChanges hides a difference.
import { beforeAll, describe, expect, it } from "vitest";
import { goDurationString, nanoCpusToDecimalString, parseCpus, parseGoDuration } from "../facts/readback";
import { Graph, synthesize } from "../synth";

const CONTAINER = "docker:index/container:Container";
const graphs: Record<string, Graph> = {};

beforeAll(async () => {
  const [staging, production] = await Promise.all([synthesize({ stack: "staging" }), synthesize({ stack: "production" })]);
  graphs.staging = new Graph(staging.records);
  graphs.production = new Graph(production.records);
}, 120_000);

describe.each(["staging", "production"])("%s: every container in its read-back form", (stack) => {
  const containers = () => graphs[stack].ofType(CONTAINER);

  it("cpus reads back as sent (nanoInt64ToDecimalString of what ParseCPUs makes of it)", () => {
    expect(containers().length).toBeGreaterThan(20);
    for (const container of containers()) {
      const sent = container.inputs.cpus as string;
      expect(typeof sent, container.name).toBe("string");
      const nano = parseCpus(sent);
      expect(nano, `${container.name}: cpus "${sent}"`).toBeDefined();
      expect(nanoCpusToDecimalString(nano!), `${container.name}: cpus "${sent}"`).toBe(sent);
    }
  });

  it("healthcheck durations read back as sent (Go's Duration.String)", () => {
    for (const container of containers()) {
      const health = container.inputs.healthcheck as Record<string, unknown>;
      for (const field of ["interval", "timeout", "startPeriod", "startInterval"]) {
        const sent = health[field];
        if (sent === undefined) continue; // the provider's default "0s" is what reads back
        const nanos = parseGoDuration(String(sent));
        expect(nanos, `${container.name} ${field} "${sent}"`).toBeDefined();
        expect(goDurationString(nanos!), `${container.name} ${field}`).toBe(sent);
      }
      expect(Number.isInteger(health.retries), container.name).toBe(true);
    }
  });

  it("ports are in the order the provider reads them back (by internal port), with explicit ip and protocol", () => {
    for (const container of containers()) {
      const ports = (container.inputs.ports ?? []) as { internal: number; external: number; ip: string; protocol: string }[];
      const sorted = [...ports].sort((a, b) => a.internal - b.internal || a.protocol.localeCompare(b.protocol));
      expect(ports, container.name).toEqual(sorted);
      for (const port of ports) {
        expect(port.ip, container.name).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(port.protocol, container.name).toMatch(/^(tcp|udp)$/);
      }
    }
  });

  it("memory and memorySwap are whole MB (read back as bytes / 1024 / 1024), restart and log options as sent", () => {
    for (const container of containers()) {
      const inputs = container.inputs as Record<string, unknown>;
      expect(Number.isInteger(inputs.memory), container.name).toBe(true);
      expect(Number.isInteger(inputs.memorySwap), container.name).toBe(true);
      expect(inputs.restart, container.name).toBe("unless-stopped");
      for (const value of Object.values(inputs.logOpts as Record<string, unknown>)) expect(typeof value, container.name).toBe("string");
    }
  });

  it("gpus only where requested, and only in a form flattenGPUsFromDeviceRequests reads back; no ignoreChanges anywhere", () => {
    for (const container of containers()) {
      if ("gpus" in container.inputs) expect(container.inputs.gpus, container.name).toMatch(/^(all|device=[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*)$/);
      expect(container.ignoreChanges, container.name).toEqual([]);
    }
  });
});
