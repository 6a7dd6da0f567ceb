// The backup scripts under busybox sh (the rclone image's shell): tests/backup.scripts.suite.ts.
import { backupScriptsUnder } from "./backup.scripts.suite";

backupScriptsUnder("busybox");
