// The e2e step `backup` (issue 12, item 5): tests/e2e/backup/check.ts.
export { backupCheck as check } from "../backup/check";
