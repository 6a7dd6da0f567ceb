// Turns an evaluation into what the synth prints and writes: a resource tree like
// `pulumi preview`, resources.json (the contract below), and every uploaded file.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Evaluation, ResourceRecord } from "./evaluate";

/** resources.json: exactly these keys, in registration order. */
export function contractView(records: ResourceRecord[]) {
  return records.map(({ urn, type, name, parent, dependsOn, inputs, protect }) => ({ urn, type, name, parent, dependsOn, inputs, protect }));
}

/** Files a container receives through `uploads` (a swarm service: its secrets and configs): path relative to files/, and content. */
export function uploadedFiles(records: ResourceRecord[]): { resource: string; file: string; content: string }[] {
  const files: { resource: string; file: string; content: string }[] = [];
  // A swarm's generated files are its ServiceConfigs (by name), its secret files docker.Secrets.
  const configByName = new Map(
    records.filter((r) => r.type === "docker:index/serviceConfig:ServiceConfig").map((r) => [String(r.inputs.name), Buffer.from(String(r.inputs.data), "base64").toString("utf8")]),
  );
  for (const record of records) {
    if (record.type === "docker:index/service:Service") {
      const spec = ((record.inputs.taskSpec as Record<string, any>)?.containerSpec ?? {}) as { secrets?: { fileName: string }[]; configs?: { fileName: string; configName: string }[] };
      for (const secret of spec.secrets ?? []) files.push({ resource: record.name, file: secret.fileName, content: "[secret]" });
      for (const config of spec.configs ?? []) files.push({ resource: record.name, file: config.fileName, content: configByName.get(config.configName) ?? "" });
      continue;
    }
    if (record.type !== "docker:index/container:Container") continue;
    const uploads = (record.inputs.uploads ?? []) as unknown;
    if (!Array.isArray(uploads)) throw new Error(`${record.urn}: uploads is not a list (is the whole list secret?)`);
    for (const upload of uploads as { file: string; content?: string }[]) {
      files.push({ resource: record.name, file: upload.file, content: upload.content ?? "" });
    }
  }
  return files;
}

export function renderTree(records: ResourceRecord[]): string {
  const children = new Map<string | null, ResourceRecord[]>();
  for (const record of records) {
    const list = children.get(record.parent) ?? [];
    list.push(record);
    children.set(record.parent, list);
  }
  const lines: string[] = [];
  const walk = (parent: string | null, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((record, index) => {
      const last = index === list.length - 1;
      const flags = [record.protect ? "protected" : "", record.retainOnDelete ? "retained on delete" : ""].filter(Boolean).join(", ");
      lines.push(`${indent}${last ? "└─ " : "├─ "}${record.type}  ${record.name}${flags ? `  [${flags}]` : ""}`);
      walk(record.urn, indent + (last ? "   " : "│  "));
    });
  };
  walk(null, "");
  return lines.join("\n");
}

/** Writes .synth/<stack>/resources.json and files/; replaces what a previous run wrote. */
export function writeSynth(outDir: string, evaluation: Evaluation): { resourcesPath: string; files: number } {
  const stackDir = path.join(outDir, evaluation.stack);
  fs.rmSync(stackDir, { recursive: true, force: true });
  fs.mkdirSync(stackDir, { recursive: true });
  const resourcesPath = path.join(stackDir, "resources.json");
  fs.writeFileSync(resourcesPath, JSON.stringify(contractView(evaluation.records), null, 2) + "\n");
  const files = uploadedFiles(evaluation.records);
  for (const file of files) {
    const target = path.join(stackDir, "files", file.resource, file.file);
    if (!target.startsWith(path.join(stackDir, "files") + path.sep)) throw new Error(`refusing to write outside the synth folder: ${file.file}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
  }
  return { resourcesPath, files: files.length };
}
