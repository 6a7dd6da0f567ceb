// Writes docs/images.md from facts/images.ts: `npx tsx scripts/writeImagesDoc.ts`.
import * as fs from "node:fs";
import * as path from "node:path";
import { renderImagesDoc } from "../facts/images";

export const IMAGES_DOC = path.join(__dirname, "..", "docs", "images.md");

if (require.main === module) {
  fs.writeFileSync(IMAGES_DOC, renderImagesDoc());
  console.log(`wrote ${path.relative(process.cwd(), IMAGES_DOC)}`);
}
