import { isIPv4, isIPv6 } from "node:net";

/** An address block: `10.0.0.0/8`, `::1/128`; a bare address is a block of one. */
export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

function v4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(".").map(Number));
}

/** `text` is a valid IPv6 address (checked by the caller); an IPv4 tail becomes two groups. */
function v6Bytes(text: string): Uint8Array {
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const b = v4Bytes(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const words = (s: string | undefined) => (s ? s.split(":").map((w) => parseInt(w, 16)) : []);
  const left = words(head);
  const right = words(tail);
  const all =
    tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

const MAPPED_V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * An IPv4 or IPv6 address as 4 or 16 bytes, or null if `text` is not one (no ports, no zone ids).
 * An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, how a dual-stack socket reports IPv4 peers) is
 * its IPv4 address, so one rule covers both spellings.
 */
export function parseAddress(text: string): Uint8Array | null {
  if (isIPv4(text)) return v4Bytes(text);
  if (!isIPv6(text) || text.includes("%")) return null;
  const bytes = v6Bytes(text.toLowerCase());
  return MAPPED_V4_PREFIX.every((b, i) => bytes[i] === b) ? bytes.slice(12) : bytes;
}

export function parseCidr(text: string): Cidr | null {
  const [address, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || address === undefined) return null;
  const bytes = parseAddress(address);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  return prefix <= max ? { bytes, prefix } : null;
}

export function inCidr(address: Uint8Array, block: Cidr): boolean {
  if (address.length !== block.bytes.length) return false;
  for (let bit = 0; bit < block.prefix; bit += 8) {
    const take = Math.min(8, block.prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((address[bit / 8]! & mask) !== (block.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}
