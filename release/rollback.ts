// `npm run rollback -- --stack production`: restores the most recent release recorded in the
// stack's releaseHistory (or the one named by --to) and prints the diff.
import * as path from "node:path";
import { badUsage, EXIT, Io, runCommand, UsageError } from "./cli";
import { ROLLBACK } from "./rollback.usage";
import { unifiedDiff } from "./diff";
import { rollbackSnapshotHint } from "./restore";
import { checkBeforeWrite, loadStack, stackFilePath, withRolledBackRelease, writeAtomically } from "./stackEdit";

// The flags live in rollback.usage.ts (light: scripts/ parse with it before loading this module).
export { ROLLBACK_USAGE } from "./rollback.usage";

export async function runRollback(argv: string[], io: Io): Promise<number> {
  return runCommand(io, ROLLBACK, argv, async ({ values }) => {
    if (!values.stack) throw badUsage("--stack is required");
    if (values.dir && values["stack-file"]) throw badUsage("give --dir or --stack-file, not both");
    const file = values["stack-file"] ? path.resolve(values["stack-file"]) : stackFilePath(path.resolve(values.dir ?? "."), values.stack);

    const stack = loadStack(values.stack, file);
    // Rollback never reads or writes a secret: secrets the file does not hold yet are pulumi up's to name.
    const history = stack.settings.releaseHistory;
    if (history.length === 0) throw new UsageError(`${file}: enrichment:releaseHistory is empty: no previous release to roll back to`);
    const index = values.to === undefined ? 0 : history.findIndex((entry) => entry.release.version === values.to);
    if (index < 0) {
      throw new UsageError(`${file}: release ${values.to} is not in enrichment:releaseHistory (recorded: ${history.map((e) => e.release.version).join(", ")})`);
    }

    const current = stack.settings.release.version;
    const restored = history[index];
    const nextText = withRolledBackRelease(stack, index);
    checkBeforeWrite(stack.stack, file, nextText);

    io.out(`Rolling ${stack.stack} back from ${current} to ${restored.release.version} (replaced by ${restored.replacedBy} at ${restored.replacedAt}).\n`);
    io.out(unifiedDiff(stack.text, nextText, { from: `a/${path.basename(file)}`, to: `b/${path.basename(file)}` }));
    if (stack.settings.backup.enabled && stack.settings.backup.snapshotBeforeRelease) io.out(rollbackSnapshotHint(stack.stack, current));
    if (values["dry-run"]) {
      io.out(`Dry run: ${file} was not changed.`);
      return EXIT.ok;
    }
    writeAtomically(file, nextText);
    io.out(`Wrote ${file}: ${stack.stack} names release ${restored.release.version} again.`);
    io.out(`Deploy it with: pulumi up --stack ${stack.stack}`);
    return EXIT.ok;
  });
}
