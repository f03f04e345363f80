import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** One import between two files of src/, paths relative to src/ ("proxy/relay.ts"). */
export interface Edge {
  from: string;
  to: string;
}

const SOURCE = /\.tsx?$/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return SOURCE.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function resolveLocal(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec);
  return [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find((p) => SOURCE.test(p) && existsSync(p));
}

/** Every relative import (type-only and dynamic included) from a file of `srcDir` to another one. */
export function importEdges(srcDir: string): Edge[] {
  const root = resolve(srcDir);
  return walk(root).flatMap((file) => {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    return info.importedFiles.flatMap(({ fileName }) => {
      if (!fileName.startsWith(".")) return [];
      const target = resolveLocal(file, fileName);
      if (!target || relative(root, target).startsWith("..")) return [];
      return [{ from: relative(root, file), to: relative(root, target) }];
    });
  });
}

/** The top folder of a path under src/; main.ts is "(main)", the other files directly in src/ the wiring "(root)". */
export function folderOf(path: string): string {
  if (path === "main.ts") return "(main)";
  const parts = path.split("/");
  return parts.length === 1 ? "(root)" : parts[0];
}

/** Strongly connected components with more than one node (Tarjan): each one is an import cycle. */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) if (from !== to) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return found;
}
