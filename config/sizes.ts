// Sizes a service cannot start in: each `resources.<service>.memoryMb` is checked against the
// floor facts/images.ts records for the image that runs it (MEMORY_FLOORS, each with its source).
// A MongoDB limit in the tens of MB is accepted by Docker and then kills mongod at start.
import { IMAGES, ImageKey, MEMORY_FLOORS } from "../facts/images";
import type { ConfigProblem } from "./problems";

/** Which images run under each `enrichment:resources.<key>` (the exporters share one size). */
export const RESOURCE_IMAGES: Readonly<Record<string, readonly ImageKey[]>> = {
  mongodb: ["mongodb"],
  nsqlookupd: ["nsq"],
  nsqd: ["nsq"],
  nsqadmin: ["nsq"],
  ollama: ["ollama"],
  edge: ["edge"],
  prometheus: ["prometheus"],
  alertmanager: ["alertmanager"],
  grafana: ["grafana"],
  exporter: ["mongodbExporter", "nsqExporter", "blackboxExporter", "cadvisor", "nodeExporter", "dcgmExporter"],
};

/** The floor of a resources key: the largest floor of the images it sizes, or undefined. */
export function memoryFloor(resourceKey: string): { mb: number; image: ImageKey; source: string } | undefined {
  let floor: { mb: number; image: ImageKey; source: string } | undefined;
  for (const image of RESOURCE_IMAGES[resourceKey] ?? []) {
    const fact = MEMORY_FLOORS[image];
    if (fact && (!floor || fact.value > floor.mb)) floor = { mb: fact.value, image, source: fact.source };
  }
  return floor;
}

export function sizeConfigProblems(cfg: { resources: Record<string, { memoryMb: number }> }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [key, size] of Object.entries(cfg.resources)) {
    const floor = memoryFloor(key);
    if (!floor || size.memoryMb >= floor.mb) continue;
    problems.push({
      path: ["resources", key, "memoryMb"],
      message: `expected at least ${floor.mb} MB: ${IMAGES[floor.image].role} cannot start in less (facts/images.ts MEMORY_FLOORS: ${floor.source})`,
      input: size.memoryMb,
    });
  }
  return problems;
}
