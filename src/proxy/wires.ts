import type { ProviderConfig } from "../config/schema";
import { anthropicWire } from "./providers/anthropic";
import { geminiWire } from "./providers/gemini";
import { openaiWire } from "./providers/openai";
import type { WireFormat } from "./wire";

/** The wire format each provider kind speaks. */
export const WIRES: Record<ProviderConfig["kind"], WireFormat> = { openai: openaiWire, anthropic: anthropicWire, gemini: geminiWire };
