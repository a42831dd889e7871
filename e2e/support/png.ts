/** Just enough PNG reading to check an exported file: its size, colour type and chunk names. */
export interface PngInfo {
  width: number;
  height: number;
  /** 6 = RGBA (transparent corners possible), 2 = RGB. */
  colorType: number;
  chunks: string[];
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function readPng(bytes: Uint8Array): PngInfo {
  if (!SIGNATURE.every((byte, i) => bytes[i] === byte)) throw new Error('not a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: string[] = [];
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    chunks.push(String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)));
    offset += 12 + length;
  }
  return { width: view.getUint32(16), height: view.getUint32(20), colorType: bytes[25]!, chunks };
}

/** Chunks that carry metadata (text, EXIF, time, ICC profile names...). */
export const METADATA_CHUNKS = ['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME'];
