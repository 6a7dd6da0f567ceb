// Every gate query reads only metrics and labels of the monitoring contract
// (facts/metricsContract.ts), checked on the parse tree of the official PromQL grammar.
import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { TargetsSchema } from "../config/targets";
import { allowedLabels, contractMetricFor } from "../facts/metricsContract";
import { GATE_METRICS, GateContext, GATES, gatesFor, INGESTION_GATES } from "../release/gates";
import { IngestionTargetsSchema } from "../config/ingestion";

const context: GateContext = { release: "1.4.1", targets: TargetsSchema.parse({}), soakMinutes: 60, windowSeconds: 3600, ingestion: IngestionTargetsSchema.parse(undefined) };

interface Selector {
  metric: string;
  matchers: { label: string; op: string; value: string }[];
}

function selectors(query: string): { selectors: Selector[]; errors: string[] } {
  const tree = parser.parse(query);
  const found: Selector[] = [];
  const errors: string[] = [];
  const text = (from: number, to: number) => query.slice(from, to);
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: ${text(node.from, node.to + 10)}`);
      if (node.name !== "VectorSelector") return;
      const selector: Selector = { metric: "", matchers: [] };
      const cursor = node.node.cursor();
      cursor.iterate((child) => {
        if (child.name === "Identifier" && !selector.metric) selector.metric = text(child.from, child.to);
        if (child.name === "UnquotedLabelMatcher") {
          const label = child.node.getChild("LabelName");
          const op = child.node.getChild("MatchOp");
          const value = child.node.getChild("StringLiteral");
          if (label && op && value) {
            selector.matchers.push({ label: text(label.from, label.to), op: text(op.from, op.to), value: JSON.parse(text(value.from, value.to)) });
          }
        }
      });
      found.push(selector);
    },
  });
  return { selectors: found, errors };
}

describe("gate queries against the metrics contract", () => {
  it("adds the ingestion plane's gates only where the source stack runs it", () => {
    expect(gatesFor({})).toEqual(GATES);
    expect(gatesFor(context).map((g) => g.id)).toEqual([...GATES, ...INGESTION_GATES].map((g) => g.id));
    expect(INGESTION_GATES.map((g) => g.threshold(context))).toEqual([5, 2, 0.001, 0.995]);
  });

  it.each([...GATES, ...INGESTION_GATES].map((gate) => [gate.id, gate] as const))("%s parses and uses contract metrics and labels only", (_id, gate) => {
    const query = gate.query(context);
    const { selectors: found, errors } = selectors(query);
    expect(errors).toEqual([]);
    expect(found.length).toBeGreaterThan(0);
    for (const selector of found) {
      const spec = contractMetricFor(selector.metric);
      expect(spec, `${selector.metric} is not in facts/metricsContract.ts`).toBeDefined();
      expect(gate.metrics, `${gate.id} does not declare ${spec?.name}`).toContain(spec?.name);
      const allowed = allowedLabels(selector.metric);
      for (const matcher of selector.matchers) {
        expect(allowed.has(matcher.label), `${selector.metric} has no label ${matcher.label}`).toBe(true);
        const known = spec?.values?.[matcher.label];
        if (known && matcher.op === "=") expect(known).toContain(matcher.value);
      }
      // Where the metric carries the release label, the gate selects the promoted release.
      if (spec?.labels.includes("release")) {
        expect(selector.matchers).toContainEqual({ label: "release", op: "=", value: "1.4.1" });
      }
    }
  });

  it("declares only contract metrics", () => {
    for (const name of Object.values(GATE_METRICS)) expect(contractMetricFor(name) ?? contractMetricFor(`${name}_count`)).toBeDefined();
  });
});
