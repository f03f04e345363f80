import type { ProviderConfig } from "../config/schema";
import { anthropicWire } from "./providers/anthropic";
import { azureOpenaiWire } from "./providers/azureOpenai";
import { geminiWire } from "./providers/gemini";
import { openaiWire } from "./providers/openai";
import type { WireFormat } from "./wire";

/** The wire format each provider kind speaks. */
export const WIRES: Record<ProviderConfig["kind"], WireFormat> = {
  openai: openaiWire,
  "azure-openai": azureOpenaiWire,
  anthropic: anthropicWire,
  gemini: geminiWire,
};
