// The image facts catalog against the program: docs/images.md is the catalog rendered; every
// container of both stacks runs as the catalog's (or the stack's appRuntimeUser) user, receives
// its secret files 0400 owned by that user, mounts a named volume over every VOLUME its image
// declares, and has a healthcheck that calls only tools its image contains.
import * as fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { IMAGE_KEYS, IMAGES, ImageKey, renderImagesDoc, userSpec } from "../facts/images";
import { IMAGES_DOC } from "../scripts/writeImagesDoc";
import { SettingsSchema } from "../config/schema";
import { IngestionSchema } from "../config/ingestion";
import { APP_GROUPS } from "../components/serviceContainer";
import { Graph, labelOf, ResourceRecord, synthesize } from "../synth";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";

type Upload = { file: string; permissions?: string; owner?: string; group?: string; content?: string };

const graphs: Record<string, Graph> = {};
const appUsers: Record<string, string> = {};

beforeAll(async () => {
  const [staging, production, otherUser] = await Promise.all([
    synthesize({ stack: "staging" }),
    synthesize({ stack: "production" }),
    synthesize({ stack: "staging", overrides: { appRuntimeUser: { uid: 4242, gid: 4343 } } }),
  ]);
  graphs.staging = new Graph(staging.records);
  graphs.production = new Graph(production.records);
  graphs["staging (appRuntimeUser 4242:4343)"] = new Graph(otherUser.records);
  appUsers.staging = "10001:10001";
  appUsers.production = "10001:10001";
  appUsers["staging (appRuntimeUser 4242:4343)"] = "4242:4343";
}, 120_000);

/** Every container, the backup component's included. */
const ownContainers = (graph: Graph) => graph.ofType(CONTAINER);
const imageKeyOf = (c: ResourceRecord) => labelOf(c, "image-key") as ImageKey | undefined;
const groupOf = (c: ResourceRecord) => labelOf(c, "group") as (typeof APP_GROUPS)[number];
const secretUploads = (c: ResourceRecord) => {
  const uploads = (c.inputs.uploads ?? []) as Upload[];
  return uploads.filter((_, i) => c.secretPaths.includes(`uploads.${i}.content`));
};

describe("docs/images.md", () => {
  it("is the catalog rendered (npx tsx scripts/writeImagesDoc.ts)", () => {
    expect(fs.readFileSync(IMAGES_DOC, "utf8"), "docs/images.md differs from facts/images.ts: run npx tsx scripts/writeImagesDoc.ts").toBe(renderImagesDoc());
  });

  it("a changed fact changes the doc (the comparison can fail)", () => {
    const changed = { ...IMAGES, mongodb: { ...IMAGES.mongodb, user: { ...IMAGES.mongodb.user, value: { uid: 1, gid: 1 } } } };
    expect(renderImagesDoc(changed)).not.toBe(renderImagesDoc());
  });

  it("every fact cites a source, and every key is a setting of enrichment:images (or the entry's own setting) whose default is the catalog's reference", () => {
    const defaults = SettingsSchema.shape.images.parse(undefined) as Record<string, string>;
    const ingestionDefaults = IngestionSchema.shape.images.parse(undefined) as Record<string, string>;
    for (const key of IMAGE_KEYS) {
      const facts = IMAGES[key];
      expect(facts.key).toBe(key);
      if (facts.setting) {
        expect(facts.setting, key).toBe(`ingestion.images.${key}`);
        expect(ingestionDefaults[key], key).toBe(facts.reference);
      } else expect(defaults[key], key).toBe(facts.reference);
      for (const fact of [facts.user, facts.volumes, facts.tools, facts.health, ...Object.values(facts.paths)]) expect(fact.source.length, key).toBeGreaterThan(20);
    }
  });
});

describe.each(["staging", "production", "staging (appRuntimeUser 4242:4343)"])("%s containers against the catalog", (stack) => {
  const graph = () => graphs[stack];

  it("every third-party container names its catalog entry; the platform's own run as appRuntimeUser", () => {
    for (const container of ownContainers(graph())) {
      const key = imageKeyOf(container);
      if (APP_GROUPS.includes(groupOf(container))) {
        expect(key, container.name).toBeUndefined();
        expect(container.inputs.user, container.name).toBe(appUsers[stack]);
      } else {
        expect(key && IMAGE_KEYS.includes(key), `${container.name} has no org.enrichment.image-key`).toBe(true);
        expect(container.inputs.user, container.name).toBe(IMAGES[key!].userOverride);
      }
    }
  });

  it("secret files reach only the uid:gid that reads them, in the form the daemon honours for the container's user", () => {
    let owned = 0;
    let rootGroup = 0;
    for (const container of ownContainers(graph())) {
      const key = imageKeyOf(container);
      const reader = key ? userSpec(IMAGES[key].user.value) : appUsers[stack];
      const configUser = (container.inputs.user as string | undefined) ?? (key ? IMAGES[key].imageUser.value : "unknown");
      for (const upload of secretUploads(container)) {
        const where = `${container.name} ${upload.file}`;
        if (configUser === "") {
          // No user: the daemon keeps the tar header's owner.
          expect(upload.permissions, where).toBe("0400");
          expect(`${upload.owner}:${upload.group}`, where).toBe(reader);
          owned++;
        } else {
          // A user: owner/group would make the daemon chown to it (or fail); root:root 0440 read through group 0.
          expect(upload.permissions, where).toBe("0440");
          expect(upload.owner, where).toBeUndefined();
          expect(upload.group, where).toBeUndefined();
          const gid = reader.split(":")[1];
          if (gid !== "0") expect(container.inputs.groupAdds, where).toEqual(["0"]);
          rootGroup++;
        }
      }
    }
    expect(owned).toBeGreaterThan(2);
    expect(rootGroup).toBeGreaterThan(8);
    // The MongoDB entrypoint reads the root password as mongodb (999) after gosu (which drops group 0).
    const mongodb = graph().byName(CONTAINER, "mongodb");
    expect(secretUploads(mongodb).map((u) => `${u.file} ${u.owner}:${u.group} ${u.permissions}`)).toContain("/run/secrets/mongodb-root-password 999:999 0400");
  });

  it("no container joins group 0 unless it reads a secret file through it", () => {
    for (const container of ownContainers(graph())) {
      if (container.inputs.groupAdds) expect(secretUploads(container).length, container.name).toBeGreaterThan(0);
    }
  });

  it("every VOLUME an image declares is a named volume (no anonymous volume leaks per replacement)", () => {
    const volumeNames = new Set(graph().ofType(VOLUME).map((v) => String(v.inputs.name)));
    for (const container of ownContainers(graph())) {
      const key = imageKeyOf(container);
      if (!key) continue;
      const mounts = (container.inputs.volumes ?? []) as { volumeName?: string; containerPath: string }[];
      for (const declared of IMAGES[key].volumes.value) {
        const mount = mounts.find((m) => m.containerPath === declared);
        expect(mount?.volumeName, `${container.name} ${declared}`).toBeDefined();
        expect(volumeNames.has(mount!.volumeName!), `${container.name} ${declared}: ${mount!.volumeName} is not a managed volume`).toBe(true);
      }
    }
  });

  it("healthchecks call only tools their image has", () => {
    for (const container of ownContainers(graph())) {
      const key = imageKeyOf(container);
      if (!key) continue;
      const tools: string[] = IMAGES[key].tools.value;
      const test = (container.inputs.healthcheck as { tests: string[] }).tests;
      for (const command of healthCommands(test)) expect(tools, `${container.name}: ${test.join(" ")}`).toContain(command);
    }
  });
});

/** The executables a Docker healthcheck test runs: argv[0] for CMD; the shell and each pipeline stage's command for CMD-SHELL and `bash -c`. */
function healthCommands(test: string[]): string[] {
  const shell = (script: string) =>
    script
      .split(/\|\||&&|\||;/)
      .map((part) => part.trim().split(/\s+/)[0])
      // Shell builtins need no binary; `exec 3<>...` only opens a descriptor.
      .filter((word) => word && !["exec", "printf", "echo"].includes(word) && !word.includes("<") && !word.includes(">"));
  if (test[0] === "CMD-SHELL") return ["sh", ...shell(test[1])];
  const argv = test.slice(1);
  const base = argv[0].split("/").pop()!;
  if ((base === "bash" || base === "sh") && argv[1] === "-c") return [base, ...shell(argv[2])];
  return [base];
}

describe("healthCommands (the parser the tools check relies on)", () => {
  it("finds every command", () => {
    expect(healthCommands(["CMD-SHELL", "wget -q -O - http://x/metrics | grep -qE '^a'"])).toEqual(["sh", "wget", "grep"]);
    expect(healthCommands(["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/1 && printf 'x' >&3 && grep -q a <&3"])).toEqual(["bash", "grep"]);
    expect(healthCommands(["CMD", "mongosh", "--nodb", "/x.js"])).toEqual(["mongosh"]);
  });
});
