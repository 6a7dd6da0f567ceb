// Foundation components on their own: argument validation and the shell commands they build.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { SynthMocks } from "../synth/mocks";
import { dockerExec, ifContainerExists, shellQuote } from "../components/dockerCommand";
import { parseImageRef } from "../config/fields";

type Modules = {
  serviceContainer: typeof import("../components/serviceContainer");
  network: typeof import("../components/network");
  tls: typeof import("../components/tls");
  secrets: typeof import("../components/secrets");
  ollama: typeof import("../planes/models/ollama");
};
let modules: Modules;

beforeAll(async () => {
  await pulumi.runtime.setMocks(new SynthMocks(), "enrichment", "unit", false);
  modules = {
    serviceContainer: await import("../components/serviceContainer"),
    network: await import("../components/network"),
    tls: await import("../components/tls"),
    secrets: await import("../components/secrets"),
    ollama: await import("../planes/models/ollama"),
  };
});

const context = { stack: "unit", environment: "staging" as const, prefix: "unit", protectState: false, dockerHost: "unix:///var/run/docker.sock", appRuntimeUser: { uid: 10001, gid: 10001 } };

function baseArgs(network: InstanceType<Modules["network"]["PlatformNetwork"]>) {
  return {
    context,
    network,
    service: "probe",
    group: "data" as const,
    image: "busybox:1.36",
    healthcheck: { test: ["CMD", "true"] },
    waitTimeoutSeconds: 30,
    memoryMb: 64,
    cpus: 0.1,
  };
}

describe("ServiceContainer validates its arguments up front", () => {
  it.each([
    ["memory given in GB by mistake", { memoryMb: 2 }, "memoryMb must be >= 16 (it is in MB), got 2"],
    ["no healthcheck", { healthcheck: { test: [] } }, "healthcheck.test must not be empty: `wait` needs a healthcheck"],
    ["relative secret path", { secretFiles: [{ path: "run/secrets/x", content: "s" }] }, 'secret file path "run/secrets/x" must be absolute'],
    ["bad service name", { service: "Review_API" }, 'service "Review_API" must be lower-case letters, digits and dashes'],
    ["the same host port twice", { ports: [{ internal: 1, external: 8080, address: "127.0.0.1" }, { internal: 2, external: 8080, address: "127.0.0.1" }] }, "host ports must be unique"],
  ])("%s", (_title, override, message) => {
    const network = new modules.network.PlatformNetwork(`net-${Math.random()}`, { context });
    expect(() => new modules.serviceContainer.ServiceContainer(`bad-${Math.random()}`, { ...baseArgs(network), ...override })).toThrow(message);
  });

  it("a valid container is built", () => {
    const network = new modules.network.PlatformNetwork("net-ok", { context });
    const service = new modules.serviceContainer.ServiceContainer("ok", baseArgs(network));
    expect(service.containerName).toBe("unit-probe");
    expect(service.url(8080, "/health")).toBe("http://probe:8080/health");
  });
});

describe("other components validate too", () => {
  it("a certificate authority refuses a renewal window as long as the validity", () => {
    expect(
      () =>
        new modules.tls.PrivateCertificateAuthority("ca-bad", {
          organization: "x",
          rsaBits: 4096,
          validityDays: 30,
          earlyRenewalDays: 30,
          caValidityDays: 3650,
          caEarlyRenewalDays: 180,
          leaves: [{ name: "edge", commonName: "a.example.org", dnsNames: ["a.example.org"] }],
        }),
    ).toThrow("earlyRenewalDays (30) must be less than validityDays (30)");
  });

  it("generated secrets are at least 32 characters", () => {
    expect(() => new modules.secrets.PlatformSecrets("short", { entries: [{ name: "x", purpose: "x", length: 16, special: false }] })).toThrow(
      "x must be at least 32 characters, got 16",
    );
  });

  it("asking for a secret that is not generated names the catalog", () => {
    const secrets = new modules.secrets.PlatformSecrets("catalog");
    expect(() => secrets.get("nope")).toThrow('no generated secret named "nope" (see GENERATED_SECRETS)');
  });

  it("an agent asking for a model the stack does not pull is told which key to set", () => {
    const network = new modules.network.PlatformNetwork("net-ollama", { context });
    const ollama = new modules.ollama.Ollama("ollama-unit", {
      context,
      network,
      image: "ollama/ollama:0.4.7",
      memoryMb: 1024,
      cpus: 1,
      gpus: "none",
      waitTimeoutSeconds: 60,
      pullTimeoutMinutes: 10,
      models: { "llama3.2": "llama3.2:3b" },
    });
    expect(ollama.pullsFor(["llama3.2"])).toHaveLength(1);
    expect(() => ollama.pullsFor(["mixtral"])).toThrow('model "mixtral" is not pulled by this stack (enrichment:release.models)');
  });
});

describe("docker commands", () => {
  it("quotes shell words that need it and leaves plain ones alone", () => {
    expect(shellQuote("llama3.2:3b")).toBe("llama3.2:3b");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(dockerExec("staging-ollama", ["ollama", "pull", "llama3.2:3b"])).toBe("docker exec staging-ollama ollama pull llama3.2:3b");
  });

  it("a delete does nothing when the container is already gone", () => {
    expect(ifContainerExists("c", "docker exec c true")).toBe("if docker container inspect c >/dev/null 2>&1; then docker exec c true; fi");
  });
});

describe("image references", () => {
  it.each([
    ["mongo:7.0.14", { name: "mongo", tag: "7.0.14" }],
    ["nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04", { name: "nvcr.io/nvidia/k8s/dcgm-exporter", tag: "3.3.8-3.6.0-ubuntu22.04" }],
    [`registry.example.org/enrichment/cost-api:1.4.1@sha256:${"a".repeat(64)}`, { name: "registry.example.org/enrichment/cost-api", tag: "1.4.1", digest: `sha256:${"a".repeat(64)}` }],
    ["localhost:5000/x:1", { name: "localhost:5000/x", tag: "1" }],
  ])("%s", (ref, expected) => {
    expect(parseImageRef(ref)).toMatchObject(expected);
  });
});
