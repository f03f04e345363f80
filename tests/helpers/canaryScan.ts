import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** The forms a canary could take on disk or in a log: as text, base64, hex, or UTF-16. */
export const ENCODINGS = ["plain", "base64", "base64url", "hex", "HEX", "utf16le", "utf16be"] as const;
export type Encoding = (typeof ENCODINGS)[number];

export interface Finding {
  where: string;
  encoding: Encoding;
}

const utf16be = (text: string) => Buffer.from(text, "utf16le").swap16();

/**
 * The byte patterns that give `value` away in `encoding` wherever it sits inside a larger encoded
 * blob. Base64 packs 3 bytes into 4 characters, so a value inside a blob is written in one of three
 * alignments; for each, only the characters made purely of the value's bytes are searched.
 */
export function patterns(value: string, encoding: Encoding): Buffer[] {
  const raw = Buffer.from(value);
  switch (encoding) {
    case "plain":
      return [raw];
    case "base64":
    case "base64url":
      return [0, 1, 2].map((pad) => {
        const text = Buffer.concat([Buffer.alloc(pad), raw]).toString(encoding);
        return Buffer.from(text.slice(pad === 0 ? 0 : 4, 4 * Math.floor((pad + raw.length) / 3)));
      });
    case "hex":
      return [Buffer.from(raw.toString("hex"))];
    case "HEX":
      return [Buffer.from(raw.toString("hex").toUpperCase())];
    case "utf16le":
      return [Buffer.from(value, "utf16le")];
    case "utf16be":
      return [utf16be(value)];
  }
}

/** `value` written in `encoding` between other bytes (`pad` of them before it), as a positive control plants it. */
export function embed(value: string, encoding: Encoding, pad: number): Buffer {
  const before = "x".repeat(pad);
  switch (encoding) {
    case "plain":
      return Buffer.from(`${before}${value}.`);
    case "base64":
    case "base64url":
      return Buffer.from(Buffer.from(`${before}${value}.`).toString(encoding));
    case "hex":
      return Buffer.from(Buffer.from(`${before}${value}.`).toString("hex"));
    case "HEX":
      return Buffer.from(Buffer.from(`${before}${value}.`).toString("hex").toUpperCase());
    case "utf16le":
      return Buffer.from(`${before}${value}.`, "utf16le");
    case "utf16be":
      return utf16be(`${before}${value}.`);
  }
}

/** Every encoding of `value` found in `bytes`, reported as found at `where`. */
export function scanBytes(where: string, bytes: Buffer, value: string): Finding[] {
  return ENCODINGS.filter((encoding) => patterns(value, encoding).some((p) => bytes.includes(p))).map((encoding) => ({
    where,
    encoding,
  }));
}

/** Every regular file below `dir` (symlinks not followed), by path relative to `base`. */
export function filesBelow(dir: string, base = dir): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => lstatSync(path).isFile())
    .map((path) => relative(base, path));
}

/** Every file below `dir` holding `value` in any encoding, with the encodings found. */
export function scanDir(dir: string, value: string, base = dir): Finding[] {
  return filesBelow(dir, base).flatMap((name) => scanBytes(name, readFileSync(join(base, name)), value));
}
