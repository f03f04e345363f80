import type { ByteChunk, ByteReader, Deadlines } from "./deadlines";

/** The rest of an upstream body after its first chunk, under the attempt's deadlines; throws past `limit` bytes. */
export async function readWhole(
  reader: ByteReader,
  first: ByteChunk,
  deadlines: Deadlines,
  limit: number,
): Promise<Uint8Array> {
  const parts = first.done ? [] : [first.value];
  let size = parts[0]?.length ?? 0;
  for (let next = await deadlines.read(reader); !next.done; next = await deadlines.read(reader)) {
    size += next.value.length;
    if (size > limit) throw new Error("answer larger than the limit");
    parts.push(next.value);
  }
  return Buffer.concat(parts);
}
