// The e2e step `restore` (issue 12, item 5), after `backup`: tests/e2e/backup/check.ts.
export { restoreCheck as check } from "../backup/check";
