// CLI entry: see release/promote.ts (npm run promote -- --help). The source stack is verified
// with verify/ (npm run verify) before the gates. --help and usage errors are answered from
// release/promote.usage.ts; the implementation (and verify's) loads only after that.
import { EXIT, mainLazily } from "../release/cli";
import { PROMOTE } from "../release/promote.usage";

mainLazily(
  PROMOTE,
  async () => {
    const [{ runPromote }, { renderTable, summaryLine }, { verifyStack }] = await Promise.all([
      import("../release/promote"),
      import("../verify/render"),
      import("../verify/run"),
    ]);
    return (argv, io) =>
      runPromote(argv, io, {
        verify: async ({ stack, dir, outputsFile, log }) => {
          const report = await verifyStack({ stack, cwd: dir, outputsFile, log });
          return { exitCode: report.exitCode, summary: summaryLine(report), table: renderTable(report) };
        },
      });
  },
  EXIT.usage,
);
