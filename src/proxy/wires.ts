import { anthropicWire } from "./providers/anthropic";
import { azureOpenaiWire } from "./providers/azureOpenai";
import { openaiWire } from "./providers/openai";
import type { ProviderKind } from "./routing";
import type { WireFormat } from "./wire";

/** The wire format each provider kind is called with. */
export const wireFor: Record<ProviderKind, WireFormat> = { openai: openaiWire, "azure-openai": azureOpenaiWire, anthropic: anthropicWire };
