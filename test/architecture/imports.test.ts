// The shape of the code: no import cycle, and every layer imports only from the layers below it, so a module can be
// read (and tested) knowing only what is under it. The sources are read as text by Vite at transform time.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("../../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** src-relative path (no extension) → the src-relative modules it imports (type-only imports included: they still bind). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = new Set(Object.keys(sources).map((file) => file.replace(/^\.\.\/\.\.\/src\//, "").replace(/\.ts$/, "")));
  for (const [file, text] of Object.entries(sources)) {
    const from = file.replace(/^\.\.\/\.\.\/src\//, "").replace(/\.ts$/, "");
    const targets: string[] = [];
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g)) {
      const parts = [...from.split("/").slice(0, -1), ...match[1]!.split("/")];
      const resolved: string[] = [];
      for (const part of parts) {
        if (part === "..") resolved.pop();
        else if (part !== ".") resolved.push(part);
      }
      const path = resolved.join("/");
      targets.push(files.has(path) ? path : `${path}/index`);
    }
    graph.set(from, targets);
  }
  return graph;
}

/** Strongly connected components of more than one module (or a module importing itself): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexes = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indexes.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexes.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indexes.get(next)!));
    }
    if (low.get(node) === indexes.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexes.has(node)) visit(node);
  return found;
}

/**
 * The layers, lowest first. A module may import from its own layer and those below. `lib` is plain helpers; the
 * request's types (`types`: the auth context, the Hono environment) know the database's row types and nothing
 * above; `queues/jobs` is the queues' contract (job shapes and enqueue helpers) that services hand work to; the
 * HTTP helpers (problem rendering, the router) sit under the middleware, the OpenAPI route helpers over it.
 */
const LAYERS: [string, RegExp][] = [
  ["lib", /^lib\/(?!problem$|create-router$|openapi$)/],
  ["domain", /^(domain\/|env\.d$)/],
  ["db", /^db\//],
  ["meter", /^meter\//],
  ["types", /^types$/],
  ["carriers", /^carriers\//],
  ["jobs", /^queues\/jobs$/],
  ["services", /^services\//],
  ["queues and cron", /^(queues|cron)\//],
  ["http", /^lib\/(problem|create-router)$/],
  ["middleware", /^middleware\//],
  ["route helpers", /^lib\/openapi$/],
  ["routes", /^routes\//],
  ["app", /^(app|index)$/],
];
const layerOf = (module: string) => LAYERS.findIndex(([, pattern]) => pattern.test(module));

describe("architecture", () => {
  it("reads every source module", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(100);
  });

  it("has no import cycle", () => {
    expect(cycles(importGraph())).toEqual([]);
  });

  it("has every layer import only from its own layer or below", () => {
    const graph = importGraph();
    const upward: string[] = [];
    for (const [from, targets] of graph) {
      expect(layerOf(from), `${from} belongs to no layer`).toBeGreaterThanOrEqual(0);
      for (const to of targets) if (layerOf(to) > layerOf(from)) upward.push(`${from} (${LAYERS[layerOf(from)]![0]}) → ${to} (${LAYERS[layerOf(to)]![0]})`);
    }
    expect(upward.sort()).toEqual([]);
  });
});
