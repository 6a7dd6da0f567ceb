// `npm run docs`: see scripts/docs.run.ts (npm run docs -- --help). --help and usage errors are
// answered from scripts/docs.usage.ts before the implementation (the program, the Pulumi SDK) loads.
import { mainLazily } from "../release/cli";
import { DOCS } from "./docs.usage";

mainLazily(DOCS, () => (require("./docs.run") as typeof import("./docs.run")).runDocs);
