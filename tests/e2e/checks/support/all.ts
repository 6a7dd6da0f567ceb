// Every e2e check, in the order they should run: the cheap state checks first, the ones that
// wait (first scrapes, alert delivery) next, and the edge last (its rate-limit burst leaves the
// loopback client's bucket empty for a few seconds). Each top-level module of tests/e2e/checks/
// exports `check`; a test (tests/e2e.checks.test.ts) keeps this list and the folder in step.
import type { E2ECheck } from "../../context";
import { check as health } from "../health";
import { check as ports } from "../ports";
import { check as secretFiles } from "../secret-files";
import { check as nsqTopic } from "../nsq-topic";
import { check as modelPulls } from "../model-pulls";
import { check as indexes } from "../indexes";
import { check as prometheusTargets } from "../prometheus-targets";
import { check as alertDelivery } from "../alert-delivery";
import { check as edge } from "../edge";

export const ALL_CHECKS: readonly E2ECheck[] = [health, ports, secretFiles, nsqTopic, modelPulls, indexes, prometheusTargets, alertDelivery, edge];
