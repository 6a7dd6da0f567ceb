// Rollback on copies of the repo's stack files: restoring recorded releases, --to, dry run, and
// the same refusals as promote (malformed file before, invalid file after, nothing recorded).
import { afterEach, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { runRollback } from "../release/rollback";
import { loadStack, validateStackText, withPromotedRelease } from "../release/stackEdit";
import type { Release } from "../config/schema";
import { captureIo, commentLines, configValue, repoStackText, runScript, StackDir, stackDir } from "./fixtures/release/support";

const dirs: StackDir[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()?.remove();
});

function fresh(): StackDir {
  const stacks = stackDir();
  dirs.push(stacks);
  return stacks;
}

/** A release like production's with every image moved to `version`. */
function releaseNamed(base: Release, version: string): Release {
  const images = Object.fromEntries(
    Object.entries(base.images).map(([service, ref]) => [service, ref.replace(/:[\d.]+@sha256:[0-9a-f]{64}$/, `:${version}@sha256:${version.replace(/\D/g, "").padEnd(64, "a")}`)]),
  );
  return { ...base, version, images };
}

/** Production after two promotions: 1.4.0 -> 1.5.0 -> 1.6.0 (history: 1.5.0, 1.4.0). */
function promotedTwice(stacks: StackDir): { texts: string[] } {
  const texts = [stacks.read("production")];
  const base = loadStack("production", stacks.file("production")).settings.release;
  for (const [i, version] of ["1.5.0", "1.6.0"].entries()) {
    const current = loadStack("production", stacks.file("production"));
    stacks.write("production", withPromotedRelease(current, releaseNamed(base, version), new Date(Date.UTC(2026, 10, 2 + i))));
    texts.push(stacks.read("production"));
  }
  return { texts };
}

async function rollback(args: string[]) {
  const capture = captureIo();
  const code = await runRollback(args, capture.io);
  return { code, out: capture.out(), err: capture.err() };
}

describe("rollback", () => {
  it("restores the previous release, one step at a time, back to the original file", async () => {
    const stacks = fresh();
    const { texts } = promotedTwice(stacks);
    expect(configValue(texts[2], "enrichment:releaseHistory")).toHaveLength(2);

    const first = await rollback(["--stack", "production", "--dir", stacks.dir]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain("Rolling production back from 1.6.0 to 1.5.0");
    expect(first.out).toContain("+    version: 1.5.0");
    expect(stacks.read("production")).toBe(texts[1]);

    const second = await rollback(["--stack", "production", "--stack-file", stacks.file("production")]);
    expect(second.code, second.err).toBe(0);
    expect(stacks.read("production")).toBe(texts[0]);
    expect(stacks.read("production")).toBe(repoStackText("production"));

    // Nothing left to roll back to: a config error, and the file stays.
    const third = await rollback(["--stack", "production", "--dir", stacks.dir]);
    expect(third.code).toBe(3);
    expect(third.err).toContain("no previous release");
    expect(stacks.read("production")).toBe(texts[0]);
  });

  it("--to restores an older recorded release and drops the newer entries", async () => {
    const stacks = fresh();
    promotedTwice(stacks);
    const { code, err } = await rollback(["--stack", "production", "--dir", stacks.dir, "--to", "1.4.0"]);
    expect(code, err).toBe(0);
    expect(stacks.read("production")).toBe(repoStackText("production"));

    const unknown = await rollback(["--stack", "production", "--dir", stacks.dir, "--to", "0.9.0"]);
    expect(unknown.code).toBe(3);
  });

  it("--dry-run prints the diff and writes nothing", async () => {
    const stacks = fresh();
    const { texts } = promotedTwice(stacks);
    const { code, out } = await rollback(["--stack", "production", "--dir", stacks.dir, "--dry-run"]);
    expect(code).toBe(0);
    expect(out).toContain("-    version: 1.6.0");
    expect(out).toContain("Dry run");
    expect(stacks.read("production")).toBe(texts[2]);
  });

  it("refuses a malformed stack file (exit 3) and leaves it as it was", async () => {
    const stacks = fresh();
    promotedTwice(stacks);
    const broken = stacks.read("production").replace("  enrichment:workers:\n    replicas: 2", "  enrichment:workers:\n    replicas: 1");
    stacks.write("production", broken);
    const invalid = await rollback(["--stack", "production", "--dir", stacks.dir]);
    expect(invalid.code).toBe(3);
    expect(invalid.err).toContain("enrichment:workers.replicas: expected an integer >= 2 in production");
    expect(stacks.read("production")).toBe(broken);

    const notYaml = `${broken}\n  enrichment:oops: [unclosed\n`;
    stacks.write("production", notYaml);
    const unparsable = await rollback(["--stack", "production", "--dir", stacks.dir]);
    expect(unparsable.code).toBe(3);
    expect(unparsable.err).toContain("not valid YAML");
    expect(stacks.read("production")).toBe(notYaml);
  });

  it("refuses to restore a recorded release that no longer validates", async () => {
    const stacks = fresh();
    promotedTwice(stacks);
    // The recorded 1.5.0 lacks cost-api: valid as history, not as the running release.
    stacks.edit("production", (doc) => {
      const images = doc.getIn(["config", "enrichment:releaseHistory", 0, "release", "images"]) as YAML.YAMLMap;
      images.delete("cost-api");
    });
    const before = stacks.read("production");
    expect(validateStackText("production", before, "p").problems).toEqual([]);
    const { code, err } = await rollback(["--stack", "production", "--dir", stacks.dir]);
    expect(code).toBe(3);
    expect(err).toContain("refusing to write");
    expect(err).toContain("enrichment:release.images.cost-api");
    expect(stacks.read("production")).toBe(before);
  });

  it("leaves secure: values untouched and never prints them", async () => {
    const stacks = fresh();
    const ciphertext = "v1:Zm9vYmFyYmF6cXV4:c2VjcmV0LXBheWxvYWQtdGhhdC1tdXN0LW5vdC1sZWFr";
    // Right above the history, so the secret sits in the diff's context lines.
    const marker = "  # Releases this stack ran before";
    expect(stacks.read("production")).toContain(marker);
    stacks.write("production", stacks.read("production").replace(marker, `  enrichment:anthropicApiKey:\n    secure: ${ciphertext}\n${marker}`));
    promotedTwice(stacks);
    const { code, out, err } = await rollback(["--stack", "production", "--dir", stacks.dir]);
    expect(code, err).toBe(0);
    expect(out).toContain("secure: [encrypted, not shown]");
    expect(out + err).not.toContain(ciphertext);
    expect(stacks.read("production")).toContain(`    secure: ${ciphertext}\n`);
    // And no warning about the secret that is set.
    expect(err).not.toContain("anthropicApiKey");
  });

  it("keeps comments inside the release block through promote and rollback", async () => {
    const stacks = fresh();
    const commented = stacks
      .read("production")
      .replace("    models:\n      llama3.2: llama3.2:3b", "    models:\n      # the small model every agent uses\n      llama3.2: llama3.2:3b");
    stacks.write("production", commented);
    const { texts } = promotedTwice(stacks);
    expect(commentLines(texts[2])).toEqual(commentLines(commented));
    const { code } = await rollback(["--stack", "production", "--dir", stacks.dir, "--to", "1.4.0"]);
    expect(code).toBe(0);
    expect(stacks.read("production")).toBe(commented);
  });

  it("usage errors exit 3; --help exits 0", async () => {
    expect((await rollback([])).code).toBe(3);
    expect((await rollback(["--stack", "production", "--bogus"])).code).toBe(3);
    expect((await rollback(["--stack", "nope", "--dir", "/nonexistent"])).code).toBe(3);
    const help = await rollback(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: npm run rollback");
  });

  it("runs as npm run rollback would (process exit code)", async () => {
    const stacks = fresh();
    const result = await runScript("rollback", ["--stack", "production", "--dir", stacks.dir]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no previous release");
  });
});
