// Writes docs/images.md from catalog/images.ts: `npx tsx catalog/writeImagesDoc.ts`.
import * as fs from "node:fs";
import * as path from "node:path";
import { renderImagesDoc } from "./images";

export const IMAGES_DOC = path.join(__dirname, "..", "docs", "images.md");

if (require.main === module) {
  fs.writeFileSync(IMAGES_DOC, renderImagesDoc());
  console.log(`wrote ${path.relative(process.cwd(), IMAGES_DOC)}`);
}
