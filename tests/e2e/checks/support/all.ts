// Every e2e check, in the order the e2e runs them (tests/e2e/run.ts runs this list): the cheap
// state checks first, the ones that wait (first scrapes, alert delivery) next, and the edge last
// (its rate-limit burst leaves the loopback client's bucket empty for a few seconds). `backup`
// and `restore` (issue 12, steps of their own in the report) come after the indexes (the dump
// holds them) and after prometheus-targets (Prometheus has scraped every target, the backup
// metrics' too, by then), backup before restore (which restores backup's archive). Each top-level
// module of tests/e2e/checks/ exports `check`; a test (tests/e2e.checks.test.ts) keeps this list
// and the folder in step.
import type { E2ECheck } from "../../context";
import { check as health } from "../health";
import { check as ports } from "../ports";
import { check as secretFiles } from "../secret-files";
import { check as nsqTopic } from "../nsq-topic";
import { check as modelPulls } from "../model-pulls";
import { check as indexes } from "../indexes";
import { check as prometheusTargets } from "../prometheus-targets";
import { check as backup } from "../backup";
import { check as restore } from "../restore";
import { check as alertDelivery } from "../alert-delivery";
import { check as edge } from "../edge";

export const ALL_CHECKS: readonly E2ECheck[] = [health, ports, secretFiles, nsqTopic, modelPulls, indexes, prometheusTargets, backup, restore, alertDelivery, edge];
