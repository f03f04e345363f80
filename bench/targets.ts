import { postRequest } from "./http1";
import { chatBody } from "./shape";

/** One path a request can take to the fake upstream: straight, through the bare proxy, Portkey's gateway or Kriora. */
export interface Target {
  name: "direct" | "bare proxy" | "portkey" | "kriora" | "kriora, 2 workers";
  url: string;
  headers: Record<string, string>;
  /** The process in between (for its RSS); null for direct. */
  pid: number | null;
}

/** The bytes of a chat-completions request to `target`. */
export function chatRequest(target: Target, model: string, stream: boolean): Uint8Array {
  return postRequest(target.url, "/v1/chat/completions", target.headers, chatBody(model, stream));
}
