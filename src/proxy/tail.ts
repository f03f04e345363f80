const decoder = new TextDecoder();

/**
 * Keeps only the last bytes of a body as it streams past (about `max`, plus at most one chunk).
 * Providers put `usage` at the end of their JSON, so the tail is enough to meter a response of
 * any size without holding it.
 */
export class ByteTail {
  private parts: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly max = 64 * 1024) {}

  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
    while (this.parts.length > 1 && this.size - this.parts[0]!.length >= this.max)
      this.size -= this.parts.shift()!.length;
  }

  text(): string {
    return decoder.decode(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts));
  }

  clear(): void {
    this.parts = [];
    this.size = 0;
  }
}

const USAGE_KEY = '"usage"';
/** A usage object is a few hundred characters; a longer match is not one. */
const MAX_USAGE_CHARS = 4096;

/**
 * The last `"usage": {…}` object in a JSON text (or its tail), parsed; null when there is none.
 * A key inside a string value cannot match: its quotes would be escaped.
 */
export function findUsage(text: string): Record<string, unknown> | null {
  for (let at = text.lastIndexOf(USAGE_KEY); at >= 0; at = at === 0 ? -1 : text.lastIndexOf(USAGE_KEY, at - 1)) {
    if (text[at - 1] === "\\") continue;
    let i = at + USAGE_KEY.length;
    while (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t") i++;
    if (text[i] !== ":") continue;
    i++;
    while (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t") i++;
    if (text[i] !== "{") continue;
    const end = closingBrace(text, i);
    if (end < 0) continue;
    try {
      return JSON.parse(text.slice(i, end + 1)) as Record<string, unknown>;
    } catch {}
  }
  return null;
}

function closingBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  const stop = Math.min(text.length, open + MAX_USAGE_CHARS);
  for (let i = open; i < stop; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i;
  }
  return -1;
}
