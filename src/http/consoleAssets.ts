import { bundleConsole } from "../web/bundle" with { type: "macro" };

/** The console's JS and CSS, inlined here by the macro when this file is transpiled. */
export const CONSOLE_ASSETS = bundleConsole();
