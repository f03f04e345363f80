/** The console's assets, as the bundler made them. */
interface ConsoleBundle {
  js: string;
  css: string;
}

/**
 * A macro (`with { type: "macro" }`): runs when the importing file is transpiled — at each
 * `bun` start and test run, and once by `bun build --compile` — so the binary carries the assets
 * as text and nothing generated is committed.
 */
export function bundleConsole(): ConsoleBundle {
  const run = Bun.spawnSync([process.execPath, `${import.meta.dir}/build.ts`], { stderr: "inherit" });
  if (!run.success) throw new Error("the console bundle failed to build");
  return JSON.parse(run.stdout.toString()) as ConsoleBundle;
}
