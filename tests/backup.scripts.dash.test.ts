// The backup scripts under dash (the mongo image's /bin/sh): tests/backup.scripts.suite.ts.
import { backupScriptsUnder } from "./backup.scripts.suite";

backupScriptsUnder("dash");
