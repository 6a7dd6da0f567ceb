// The provider's read-back forms (facts/readback.ts) as table tests, and cross-checked against
// Go's own standard library (time.Duration.String, big.Rat as docker's ParseCPUs and the
// provider's nanoInt64ToDecimalString use it) when a Go toolchain is present.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { describeWithTools, toolPath } from "./tools";
import { cpus as cpusField } from "../config/fields";
import { dockerCpus, goDuration, goDurationString, nanoCpusToDecimalString, parseCpus, parseGoDuration } from "../facts/readback";

describe("cpus: the form nanoInt64ToDecimalString reads back", () => {
  it.each([
    [1, "1.0"],
    [2, "2.0"],
    [4, "4.0"],
    [0.5, "0.5"],
    [0.25, "0.25"],
    [0.1, "0.1"],
    [1.5, "1.5"],
    [2.25, "2.25"],
    [10, "10."],
    [20, "20."],
    [100, "100."],
  ])("%s -> %s", (cpus, form) => {
    expect(dockerCpus(cpus)).toBe(form);
    // Sending the form sets the same CPUs, and it reads back as itself.
    expect(parseCpus(form)).toBe(parseCpus(String(cpus)));
    expect(nanoCpusToDecimalString(parseCpus(form)!)).toBe(form);
  });

  it("values that never read back as sent have no form, and the schema refuses them with the read-back value", () => {
    expect(nanoCpusToDecimalString(parseCpus("0.05")!)).toBe("0.1");
    expect(dockerCpus(0.05)).toBeUndefined();
    expect(dockerCpus(0.06)).toBeUndefined();
    expect(dockerCpus(0.0000000001)).toBeUndefined();
    const refused = cpusField().safeParse(0.05);
    expect(refused.success).toBe(false);
    expect(refused.error!.issues[0].message).toContain('0.05 reads back as "0.1"');
    expect(cpusField().safeParse(0.25).success).toBe(true);
  });

  it('"1" (what the program used to send) is not the read-back form: that was a replacement on every up', () => {
    expect(dockerCpus(1)).not.toBe("1");
  });
});

describe("healthcheck durations: Go's Duration.String", () => {
  it.each([
    [0, "0s"],
    [5, "5s"],
    [10, "10s"],
    [59, "59s"],
    [60, "1m0s"],
    [90, "1m30s"],
    [300, "5m0s"],
    [3600, "1h0m0s"],
    [3661, "1h1m1s"],
    [1.5, "1.5s"],
    [0.5, "500ms"],
  ])("%s s -> %s", (seconds, form) => {
    expect(goDuration(seconds)).toBe(form);
    expect(parseGoDuration(form)).toBe(BigInt(Math.round(seconds * 1e9)));
  });

  it("sub-second units as Go prints them", () => {
    expect(goDurationString(1n)).toBe("1ns");
    expect(goDurationString(1500n)).toBe("1.5µs");
    expect(goDurationString(2_000_000n)).toBe("2ms");
  });
});

describeWithTools(["go"], "against Go's standard library", () => {
  const GO = toolPath("go");
  it("matches time.Duration.String and big.Rat (ParseCPUs' SetString x 1e9, FloatString(9), FloatString(1)) over a sweep", () => {
    const seconds = [0, 1, 5, 9, 10, 15, 30, 40, 59, 60, 61, 90, 120, 125, 300, 599, 600, 3599, 3600, 3601, 7322, 86400, 0.25, 1.5, 2.75];
    const cpus = ["0.1", "0.15", "0.2", "0.25", "0.3", "0.5", "0.75", "1", "1.5", "2", "2.25", "3", "4", "8", "10", "10.5", "12", "16", "20", "32", "64", "100", "128", "0.05", "0.06", "0.11"];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readback-go-"));
    try {
      // Only the standard library: the Go side prints the raw pieces, the TS side applies the
      // provider's rule (nine "0" characters -> FloatString(1), else trailing zeros trimmed).
      fs.writeFileSync(
        path.join(dir, "main.go"),
        [
          "package main",
          'import ("fmt"; "math/big"; "os"; "strconv"; "time")',
          "func main() {",
          "  mode := os.Args[1]",
          "  for _, arg := range os.Args[2:] {",
          '    if mode == "d" { f, _ := strconv.ParseFloat(arg, 64); fmt.Println(time.Duration(f * float64(time.Second)).String()); continue }',
          "    r, ok := new(big.Rat).SetString(arg)",
          '    if !ok { fmt.Println("parse-error"); continue }',
          "    n := new(big.Rat).Mul(r, big.NewRat(1e9, 1))",
          '    if !n.IsInt() { fmt.Println("too-precise"); continue }',
          "    back := new(big.Rat).SetFrac64(n.Num().Int64(), 1e9)",
          '    fmt.Println(n.Num().String(), back.FloatString(9), back.FloatString(1))',
          "  }",
          "}",
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(dir, "go.mod"), "module readback\n\ngo 1.21\n");
      const env = { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local", GOCACHE: path.join(os.tmpdir(), "readback-go-cache") };
      execFileSync(GO!, ["build", "-o", path.join(dir, "rb"), "."], { cwd: dir, env, timeout: 120_000 });
      const run = (mode: string, args: string[]) => execFileSync(path.join(dir, "rb"), [mode, ...args], { encoding: "utf8" }).trim().split("\n");

      expect(run("d", seconds.map(String))).toEqual(seconds.map(goDuration));

      const rows = run("c", cpus);
      cpus.forEach((value, i) => {
        const [nano, nine, one] = rows[i].split(" ");
        expect(parseCpus(value)?.toString(), value).toBe(nano);
        const providerForm = [...nine].filter((c) => c === "0").length === 9 ? one : nine.replace(/0+$/, "");
        expect(nanoCpusToDecimalString(BigInt(nano)), value).toBe(providerForm);
      });
      // Every form the program sends parses back (big.Rat accepts "10.") to the same CPUs.
      const forms = cpus.map((value) => dockerCpus(Number(value))).filter((form): form is string => !!form);
      const reparsed = run("c", forms).map((row) => row.split(" ")[0]);
      expect(reparsed).toEqual(forms.map((form) => parseCpus(form)!.toString()));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
