// A small unified line diff (LCS), enough for the stack files promote and rollback rewrite.
// Encrypted `secure:` values are masked: ciphertext has no business in CI logs either.

type Op = { kind: " " | "-" | "+"; line: string };

function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.length > 0 && all[all.length - 1] === "") all.pop();
  return all;
}

function diffOps(a: string[], b: string[]): Op[] {
  // Strip the common head and tail first: stack file edits are local, so the LCS table stays small.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);

  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const middle: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      middle.push({ kind: " ", line: x[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      middle.push({ kind: "-", line: x[i++] });
    } else {
      middle.push({ kind: "+", line: y[j++] });
    }
  }
  while (i < n) middle.push({ kind: "-", line: x[i++] });
  while (j < m) middle.push({ kind: "+", line: y[j++] });

  return [
    ...a.slice(0, head).map((line): Op => ({ kind: " ", line })),
    ...middle,
    ...a.slice(a.length - tail).map((line): Op => ({ kind: " ", line })),
  ];
}

export function maskSecrets(line: string): string {
  return line.replace(/(\bsecure:\s*)[^\s,}]+/, "$1[encrypted, not shown]");
}

/** Unified diff with `context` lines around each change; empty string when nothing changed. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  const a = lines(before);
  const b = lines(after);
  const ops = diffOps(a, b);
  const changed = ops.map((op, index) => (op.kind === " " ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return "";

  // Group changes whose context windows touch into hunks.
  const hunks: [number, number][] = [];
  for (const index of changed) {
    const start = Math.max(0, index - context);
    const end = Math.min(ops.length - 1, index + context);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) last[1] = end;
    else hunks.push([start, end]);
  }

  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const [start, end] of hunks) {
    // Line numbers of the hunk start in each file.
    let oldLine = 1;
    let newLine = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k].kind !== "+") oldLine++;
      if (ops[k].kind !== "-") newLine++;
    }
    const body = ops.slice(start, end + 1);
    const oldCount = body.filter((op) => op.kind !== "+").length;
    const newCount = body.filter((op) => op.kind !== "-").length;
    out.push(`@@ -${oldCount === 0 ? oldLine - 1 : oldLine},${oldCount} +${newCount === 0 ? newLine - 1 : newLine},${newCount} @@`);
    for (const op of body) out.push(`${op.kind}${maskSecrets(op.line)}`);
  }
  return `${out.join("\n")}\n`;
}
