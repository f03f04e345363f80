/**
 * Bundles the console (Preact + uPlot) with Bun's bundler and prints `{"js","css"}` on stdout.
 * Run by the `bundleConsole` macro, in its own process: a macro may not call Bun.build itself.
 */
const result = await Bun.build({
  entrypoints: [`${import.meta.dir}/main.tsx`],
  target: "browser",
  minify: true,
  sourcemap: "none",
});
if (!result.success) {
  for (const log of result.logs) console.error(String(log));
  process.exit(1);
}
const of = (kind: string) =>
  result.outputs.find((o) => (o.kind === "entry-point" || o.kind === "asset" ? o.path.endsWith(kind) : false));
const js = of(".js");
const css = of(".css");
if (!js || !css) {
  console.error("console build: expected one .js and one .css output");
  process.exit(1);
}
process.stdout.write(JSON.stringify({ js: await js.text(), css: await css.text() }));
