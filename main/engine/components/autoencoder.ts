import { EngineError } from '../errors.ts';
import type { AutoencoderPart } from '../model-folder.ts';
import {
  expectInput,
  expectOutput,
  FLOAT_TYPES,
  staticDim,
  type LoadedComponent,
} from '../onnx/io-spec.ts';
import { float32Of, tensorFor, type TensorMetadata } from '../onnx/tensors.ts';

/** What an encoder says about an image, unscaled: a latent, or a Gaussian over latents. */
export interface EncodedImage {
  mean: Float32Array;
  /** Present for `latent_parameters` exports (Optimum >= 1.23): the latent's log-variance. */
  logvar?: Float32Array;
}

/** Image [1,3,H,W] in [-1,1] → latents [1,4,H/8,W/8]: the full VAE encoder or TAESD's. */
export class ImageEncoder {
  calls = 0;

  private constructor(
    private readonly component: LoadedComponent,
    readonly part: AutoencoderPart,
    private readonly input: TensorMetadata,
    private readonly output: TensorMetadata,
    /** What the engine changed in the graph it runs, if anything (deterministic-encoder.ts). */
    readonly rewritten: string | undefined,
  ) {}

  static create(
    component: LoadedComponent,
    part: AutoencoderPart,
    rewritten?: string,
  ): ImageEncoder {
    const input = expectInput(component, 'sample', { types: FLOAT_TYPES, ranks: [4] });
    const output = expectOutput(component, ['latent_sample', 'latent_parameters'], {
      types: FLOAT_TYPES,
      ranks: [4],
    });
    const channels = staticDim(output, 1);
    const expected = output.name === 'latent_parameters' ? 8 : 4;
    if (channels !== undefined && channels !== expected) {
      throw new EngineError(
        'MODEL_IO_MISMATCH',
        `${component.displayName}: output '${output.name}' has ${channels} channels; expected ${expected}`,
        component.file,
      );
    }
    return new ImageEncoder(component, part, input, output, rewritten);
  }

  async encode(image: Float32Array, height: number, width: number): Promise<EncodedImage> {
    const { file } = this.component;
    this.calls++;
    const result = await this.component.session.run({
      sample: tensorFor(this.input, image, [1, 3, height, width], file),
    });
    const latent = float32Of(result[this.output.name]!, file);
    if (this.output.name !== 'latent_parameters') return { mean: latent };
    // mean ‖ logvar along the channel axis: with batch 1 the halves are contiguous.
    const half = latent.length / 2;
    return { mean: latent.slice(0, half), logvar: latent.slice(half) };
  }
}

/** Latents [1,4,h,w] → image [1,3,8h,8w] in [-1,1]. */
export class ImageDecoder {
  calls = 0;

  private constructor(
    private readonly component: LoadedComponent,
    readonly part: AutoencoderPart,
    private readonly input: TensorMetadata,
    private readonly output: TensorMetadata,
  ) {}

  static create(component: LoadedComponent, part: AutoencoderPart): ImageDecoder {
    return new ImageDecoder(
      component,
      part,
      expectInput(component, 'latent_sample', { types: FLOAT_TYPES, ranks: [4] }),
      expectOutput(component, ['sample'], { types: FLOAT_TYPES, ranks: [4] }),
    );
  }

  async decode(latents: Float32Array, height: number, width: number): Promise<Float32Array> {
    const { file } = this.component;
    this.calls++;
    const result = await this.component.session.run({
      latent_sample: tensorFor(this.input, latents, [1, 4, height / 8, width / 8], file),
    });
    return float32Of(result[this.output.name]!, file);
  }
}
