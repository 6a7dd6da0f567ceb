// CLI entry: see release/promote.ts (npm run promote -- --help). The source stack is verified
// with verify/ (npm run verify) before the gates.
import { EXIT, main } from "../release/cli";
import { runPromote } from "../release/promote";
import { renderTable, summaryLine } from "../verify/render";
import { verifyStack } from "../verify/run";

main(
  (argv, io) =>
    runPromote(argv, io, {
      verify: async ({ stack, dir, outputsFile, log }) => {
        const report = await verifyStack({ stack, cwd: dir, outputsFile, log });
        return { exitCode: report.exitCode, summary: summaryLine(report), table: renderTable(report) };
      },
    }),
  EXIT.usage,
);
