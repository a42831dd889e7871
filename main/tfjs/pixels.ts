import type { Tensor3D } from '@tensorflow/tfjs';
import type { Tfjs } from './wasm.ts';

/** Decoded, upright RGB pixels as sharp's `.raw()` gives them: rows top to bottom, 3 bytes each. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** The int32 [height, width, 3] tensor both face-api and nsfwjs take; the caller disposes it. */
export function rgbTensor(tf: Tfjs, image: RawImage): Tensor3D {
  return tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
}
