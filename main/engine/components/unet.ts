import type { Tensor } from 'onnxruntime-node';
import { concatFloat32 } from '../arrays.ts';
import { EngineError } from '../errors.ts';
import {
  expectInput,
  expectOutput,
  FLOAT_TYPES,
  optionalInput,
  rejectUnknownInputs,
  staticDim,
  type LoadedComponent,
} from '../onnx/io-spec.ts';
import { float32Of, tensorFor, type TensorMetadata } from '../onnx/tensors.ts';
import { LoraBranches } from './lora-branches.ts';

const TIMESTEP_TYPES: readonly Tensor.Type[] = ['int64', 'int32', ...FLOAT_TYPES];

export interface UnetInput {
  /** Latents for the whole batch, [batch, 4, h, w]. */
  sample: Float32Array;
  batch: number;
  height: number;
  width: number;
  timestep: number;
  /** Text embeddings for the whole batch, [batch, sequenceLength, hidden]. */
  encoderHiddenStates: Float32Array;
  sequenceLength: number;
  /** LCM's guidance embedding, [batch, dim]; required exactly when the UNet declares it. */
  timestepCond?: Float32Array;
}

/**
 * The denoiser. Every input is fed in the dtype and rank its export declares: the timestep alone
 * comes as int64 [B], float [B] or a float scalar depending on the exporter's version.
 */
export class Unet {
  calls = 0;

  private constructor(
    private readonly component: LoadedComponent,
    private readonly inputs: {
      sample: TensorMetadata;
      timestep: TensorMetadata;
      encoderHiddenStates: TensorMetadata;
      timestepCond: TensorMetadata | undefined;
    },
    private readonly output: TensorMetadata,
    /** Fed on every call: the chosen LoRA set, rank 0 without one. */
    readonly lora: LoraBranches,
  ) {}

  static create(component: LoadedComponent): Unet {
    const sample = expectInput(component, 'sample', { types: FLOAT_TYPES, ranks: [4] });
    const channels = staticDim(sample, 1);
    if (channels !== undefined && channels !== 4) {
      throw new EngineError(
        'MODEL_IO_MISMATCH',
        `${component.displayName}: input 'sample' has ${channels} channels; Stable Diffusion latents have 4`,
        component.file,
      );
    }
    const inputs = {
      sample,
      timestep: expectInput(component, 'timestep', { types: TIMESTEP_TYPES, ranks: [0, 1] }),
      encoderHiddenStates: expectInput(component, 'encoder_hidden_states', {
        types: FLOAT_TYPES,
        ranks: [3],
      }),
      timestepCond: optionalInput(component, 'timestep_cond', { types: FLOAT_TYPES, ranks: [2] }),
    };
    const output = expectOutput(component, ['out_sample'], { types: FLOAT_TYPES, ranks: [4] });
    const lora = LoraBranches.of(component, 'unet');
    rejectUnknownInputs(component, [
      'sample',
      'timestep',
      'encoder_hidden_states',
      'timestep_cond',
      ...lora.inputNames,
    ]);
    return new Unet(component, inputs, output, lora);
  }

  /** The text-embedding width the UNet's cross-attention expects, when fixed. */
  get hiddenSize(): number | undefined {
    return staticDim(this.inputs.encoderHiddenStates, 2);
  }

  /** Width of LCM's guidance embedding; undefined for UNets without `timestep_cond`. */
  get timestepCondDim(): number | undefined {
    const cond = this.inputs.timestepCond;
    return cond && (staticDim(cond, 1) ?? 256);
  }

  /** Predicts noise (or v, or x0, per the scheduler config) for the batch. */
  async predict(input: UnetInput): Promise<Float32Array> {
    // Some exports fix the batch at 1; classifier-free guidance then needs one call per half.
    if (staticDim(this.inputs.sample, 0) === 1 && input.batch > 1) {
      const parts: Float32Array[] = [];
      for (let i = 0; i < input.batch; i++) parts.push(await this.run(sliceBatch(input, i)));
      return concatFloat32(parts);
    }
    return this.run(input);
  }

  private async run(input: UnetInput): Promise<Float32Array> {
    const { file } = this.component;
    const { sample, timestep, encoderHiddenStates, timestepCond } = this.inputs;
    const hidden = input.encoderHiddenStates.length / (input.batch * input.sequenceLength);
    const feeds: Record<string, Tensor> = {
      ...this.lora.feeds,
      sample: tensorFor(sample, input.sample, [input.batch, 4, input.height, input.width], file),
      timestep:
        timestep.shape.length === 0
          ? tensorFor(timestep, [input.timestep], [], file)
          : tensorFor(
              timestep,
              new Array<number>(input.batch).fill(input.timestep),
              [input.batch],
              file,
            ),
      encoder_hidden_states: tensorFor(
        encoderHiddenStates,
        input.encoderHiddenStates,
        [input.batch, input.sequenceLength, hidden],
        file,
      ),
    };
    if (timestepCond) {
      if (!input.timestepCond) {
        throw new EngineError(
          'MODEL_IO_MISMATCH',
          `${this.component.displayName} needs 'timestep_cond' (an LCM UNet): run it with the lcm scheduler`,
          file,
        );
      }
      const dim = input.timestepCond.length / input.batch;
      feeds.timestep_cond = tensorFor(timestepCond, input.timestepCond, [input.batch, dim], file);
    }
    this.calls++;
    const result = await this.component.session.run(feeds);
    return float32Of(result[this.output.name]!, file);
  }
}

function sliceBatch(input: UnetInput, index: number): UnetInput {
  const pick = (data: Float32Array): Float32Array => {
    const each = data.length / input.batch;
    return data.slice(index * each, (index + 1) * each);
  };
  return {
    ...input,
    batch: 1,
    sample: pick(input.sample),
    encoderHiddenStates: pick(input.encoderHiddenStates),
    ...(input.timestepCond ? { timestepCond: pick(input.timestepCond) } : {}),
  };
}
