import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** The first `n` non-empty lines of a file, read in chunks (files can be larger than one string may be). */
export function firstLines(file: string, n: number): string[] {
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.alloc(1 << 20);
  const lines: string[] = [];
  const decoder = new StringDecoder('utf8'); // a character may straddle two chunks
  let rest = '';
  try {
    for (let read = fs.readSync(fd, chunk); read > 0 && lines.length < n; read = fs.readSync(fd, chunk)) {
      const parts = (rest + decoder.write(chunk.subarray(0, read))).split('\n');
      rest = parts.pop() as string;
      lines.push(...parts.filter(Boolean));
    }
  } finally {
    fs.closeSync(fd);
  }
  if (rest.trim()) lines.push(rest);
  return lines.slice(0, n);
}
