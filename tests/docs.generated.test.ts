// Docs that match the program (issue 11): the generated documents are what the program produces now.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_STACKS, graphDocPath, renderGraphDoc } from "../scripts/docs.run";

describe.each(GENERATED_STACKS)("docs/graph/%s.md", (stack) => {
  it("is what npm run docs writes from the program today", async () => {
    const expected = await renderGraphDoc(stack);
    const committed = fs.existsSync(graphDocPath(stack)) ? fs.readFileSync(graphDocPath(stack), "utf8") : "(missing)";
    expect(committed, `docs/graph/${stack}.md is out of date: run npm run docs`).toBe(expected);
  });
});
