// The exporters' healthchecks and the MongoDB exporter's wrapper entrypoint, run by the real bash
// (the shell those images have; facts/images.ts) against local stand-ins of their /metrics:
// a healthcheck must fail when the exporter cannot read what it exports, not only when it is gone.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../facts/images";
import { EXPORTERS, EXPORTER_PORTS, MONGODB_EXPORTER_URI_PATH } from "../planes/monitoring/exporters";
import { freePort, removeTempDirs, tempDir } from "./fixtures/monitoring/tools";

let server: http.Server;
let port = 0;
let body = "";

beforeAll(async () => {
  port = await freePort();
  server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  removeTempDirs();
});

const entry = (service: string) => EXPORTERS.find((e) => e.service === service)!;

/** Runs an exporter's `CMD bash -c ...` healthcheck against the stand-in on `target`. */
function runHealthcheck(service: string, defaultPort: number, target = port): Promise<number> {
  const test = entry(service).healthcheck;
  expect(test.slice(0, 3)).toEqual(["CMD", "bash", "-c"]);
  const script = test[3].replace(`/dev/tcp/127.0.0.1/${defaultPort}`, `/dev/tcp/127.0.0.1/${target}`);
  expect(script).toContain(`/dev/tcp/127.0.0.1/${target}`);
  return new Promise((resolve) => execFile("/bin/bash", ["-c", script], { timeout: 10_000 }, (error) => resolve(error ? Number(error.code ?? 1) : 0)));
}

describe("mongodb-exporter healthcheck (bash /dev/tcp, no wget in the image)", () => {
  it("passes with mongodb_up 1", async () => {
    body = '# HELP mongodb_up Whether MongoDB is up.\n# TYPE mongodb_up gauge\nmongodb_up{cluster_role="mongod"} 1\ngo_goroutines 12\n';
    expect(await runHealthcheck("mongodb-exporter", EXPORTER_PORTS.mongodbExporter)).toBe(0);
  });

  it("fails while the exporter cannot reach or log in to MongoDB (mongodb_up 0): what --version never saw", async () => {
    body = '# TYPE mongodb_up gauge\nmongodb_up{cluster_role=""} 0\ngo_goroutines 12\n';
    expect(await runHealthcheck("mongodb-exporter", EXPORTER_PORTS.mongodbExporter)).not.toBe(0);
  });

  it("fails when nothing listens", async () => {
    expect(await runHealthcheck("mongodb-exporter", EXPORTER_PORTS.mongodbExporter, await freePort())).not.toBe(0);
  });
});

describe("dcgm-exporter healthcheck", () => {
  it("passes only with a GPU series", async () => {
    body = 'DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-1"} 41\n';
    expect(await runHealthcheck("dcgm-exporter", EXPORTER_PORTS.dcgmExporter)).toBe(0);
    body = "# no GPU readable\ngo_goroutines 3\n";
    expect(await runHealthcheck("dcgm-exporter", EXPORTER_PORTS.dcgmExporter)).not.toBe(0);
  });
});

describe("mongodb-exporter wrapper entrypoint", () => {
  it("hands the exporter its URI from the secret file, in its own environment only, with the command's flags", async () => {
    const dir = tempDir("exporter-wrapper");
    const uriFile = path.join(dir, "uri");
    const fakeExporter = path.join(dir, "mongodb_exporter");
    fs.writeFileSync(uriFile, "mongodb://monitor:s3cret@mongodb:27017/admin?authSource=admin");
    // Stands in for the exporter binary: prints what it received.
    fs.writeFileSync(fakeExporter, '#!/bin/bash\nprintf "uri=%s\\n" "$MONGODB_URI"; printf "arg=%s\\n" "$@"\n', { mode: 0o755 });
    const container = entry("mongodb-exporter").container({ gpus: "all", mongodbUri: "x", blackboxConfig: "" });
    const [shell, flag, script, argv0] = container.entrypoint!;
    expect([shell, flag, argv0]).toEqual(["/bin/bash", "-c", "mongodb_exporter"]);
    expect(script).toContain(MONGODB_EXPORTER_URI_PATH);
    expect(script).toContain(IMAGES.mongodbExporter.paths.binary.value);
    const local = script.split(MONGODB_EXPORTER_URI_PATH).join(uriFile).split(IMAGES.mongodbExporter.paths.binary.value).join(fakeExporter);
    const output = await new Promise<string>((resolve, reject) =>
      execFile("/bin/bash", ["-c", local, argv0, ...container.command!], { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(output).toContain("uri=mongodb://monitor:s3cret@mongodb:27017/admin?authSource=admin");
    for (const arg of container.command!) expect(output).toContain(`arg=${arg}`);
    // The container's environment (what docker inspect shows) has no URI.
    expect(container.env ?? {}).toEqual({});
    expect(container.secretFiles!.map((f) => f.path)).toEqual([MONGODB_EXPORTER_URI_PATH]);
  });
});
