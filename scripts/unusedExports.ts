import { relative } from "node:path";
import ts from "typescript";

/**
 * Exports of `exportDirs` that no file of `importDirs` imports (Biome sees one file at a time, so
 * it cannot tell). A use is an import by name, a default import, `import * as`, `export … from`,
 * `import("…")` or `typeof import("…")`; the last four count as a use of every export of the module.
 * A use inside the exporting file does not count: such a name needs no `export`.
 * `findUnusedExports(".")` → `["src/lib/ids.ts:12 oldId"]`.
 */
export function findUnusedExports(
  root: string,
  exportDirs: readonly string[] = ["src"],
  importDirs: readonly string[] = ["src", "tests", "bench", "scripts"],
): string[] {
  const files = ts.sys.readDirectory(
    root,
    [".ts", ".tsx"],
    ["**/node_modules"],
    importDirs.map((d) => `${d}/**/*`),
  );
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    jsx: ts.JsxEmit.ReactJSX,
    jsxImportSource: "preact",
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const used = new Set<ts.Symbol>();
  const target = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const useName = (name: ts.Node) => {
    const s = checker.getSymbolAtLocation(name);
    if (s) used.add(target(s));
  };
  const useModule = (specifier: ts.Node) => {
    const m = checker.getSymbolAtLocation(specifier);
    if (m) for (const e of checker.getExportsOfModule(m)) used.add(target(e));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && node.importClause) {
      const { name, namedBindings } = node.importClause;
      if (name) useName(name);
      if (namedBindings && ts.isNamespaceImport(namedBindings)) useModule(node.moduleSpecifier);
      if (namedBindings && ts.isNamedImports(namedBindings)) for (const el of namedBindings.elements) useName(el.name);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      if (node.exportClause && ts.isNamedExports(node.exportClause))
        for (const el of node.exportClause.elements) useName(el.name);
      else useModule(node.moduleSpecifier);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
      useModule(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      useModule(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  const ours = program
    .getSourceFiles()
    .filter((f) => !f.isDeclarationFile && !relative(root, f.fileName).startsWith(".."));
  for (const file of ours) visit(file);

  const unused: string[] = [];
  for (const file of ours) {
    const path = relative(root, file.fileName);
    if (!exportDirs.some((d) => path.startsWith(`${d}/`))) continue;
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (!moduleSymbol) continue;
    for (const e of checker.getExportsOfModule(moduleSymbol)) {
      if (e.flags & ts.SymbolFlags.Alias || used.has(e)) continue;
      const at = e.declarations?.[0];
      if (!at || at.getSourceFile() !== file) continue;
      unused.push(`${path}:${file.getLineAndCharacterOfPosition(at.getStart()).line + 1} ${e.name}`);
    }
  }
  return unused.sort();
}

if (import.meta.main) {
  const unused = findUnusedExports(process.cwd());
  for (const line of unused) console.log(`unused export: ${line}`);
  process.exit(unused.length ? 1 : 0);
}
