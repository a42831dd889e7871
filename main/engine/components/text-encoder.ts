import { EngineError } from '../errors.ts';
import {
  expectInput,
  expectOutput,
  FLOAT_TYPES,
  INTEGER_TYPES,
  rejectUnknownInputs,
  staticDim,
  type LoadedComponent,
} from '../onnx/io-spec.ts';
import { float32Of, tensorFor, type TensorMetadata } from '../onnx/tensors.ts';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { LoraBranches } from './lora-branches.ts';

/** CLIP text encoder: prompt → [77, hidden] embedding, fed in the id dtype the export declares. */
export class TextEncoder {
  /** session.run calls so far: the job planner's caching is tested by counting these. */
  calls = 0;

  private constructor(
    private readonly component: LoadedComponent,
    private readonly tokenizer: ClipTokenizer,
    private readonly ids: TensorMetadata,
    private readonly output: TensorMetadata,
    /** Fed on every call: the chosen LoRA set, rank 0 without one. */
    readonly lora: LoraBranches,
  ) {}

  static async create(component: LoadedComponent, tokenizer: ClipTokenizer): Promise<TextEncoder> {
    const ids = expectInput(component, 'input_ids', { types: INTEGER_TYPES, ranks: [2] });
    const output = expectOutput(component, ['last_hidden_state'], {
      types: FLOAT_TYPES,
      ranks: [3],
    });
    const length = staticDim(ids, 1);
    if (length !== undefined && length !== tokenizer.maxLength) {
      throw new EngineError(
        'TOKENIZER_MISMATCH',
        `${component.displayName} takes ${length} tokens but tokenizer/tokenizer_config.json says ${tokenizer.maxLength}`,
        component.file,
      );
    }
    const lora = LoraBranches.of(component, 'text_encoder');
    rejectUnknownInputs(component, ['input_ids', ...lora.inputNames]);
    const encoder = new TextEncoder(component, tokenizer, ids, output, lora);
    await encoder.checkVocabulary();
    return encoder;
  }

  /** Width of each token's embedding, when the export fixes it (768 for SD 1.x, 1024 for SD 2.x). */
  get hiddenSize(): number | undefined {
    return staticDim(this.output, 2);
  }

  /** Embeddings of `texts`, one Float32Array [maxLength × hidden] each, in one batched call where the export allows. */
  async encode(texts: readonly string[]): Promise<Float32Array[]> {
    const tokenized = texts.map((t) => this.tokenizer.encode(t));
    if (staticDim(this.ids, 0) === 1 && texts.length > 1) {
      const parts = await Promise.all(tokenized.map((ids) => this.run([ids])));
      return parts.flat();
    }
    return this.run(tokenized);
  }

  private async run(batch: readonly Int32Array[]): Promise<Float32Array[]> {
    const length = this.tokenizer.maxLength;
    const flat = new Int32Array(batch.length * length);
    batch.forEach((ids, i) => flat.set(ids, i * length));
    this.calls++;
    const result = await this.component.session.run({
      ...this.lora.feeds,
      input_ids: tensorFor(this.ids, flat, [batch.length, length], this.component.file),
    });
    const hidden = float32Of(result[this.output.name]!, this.component.file);
    const each = hidden.length / batch.length;
    return batch.map((_, i) => hidden.slice(i * each, (i + 1) * each));
  }

  /**
   * A tokenizer from another model family can emit ids the encoder's embedding table lacks, and
   * onnxruntime would only fail mid-run. One call with the vocabulary's highest id finds it now.
   */
  private async checkVocabulary(): Promise<void> {
    const ids = this.tokenizer.encode('');
    ids[1] = this.tokenizer.maxTokenId;
    try {
      await this.component.session.run({
        ...this.lora.feeds,
        input_ids: tensorFor(this.ids, ids, [1, ids.length], this.component.file),
      });
    } catch (error) {
      throw new EngineError(
        'TOKENIZER_MISMATCH',
        `tokenizer/vocab.json has ids up to ${this.tokenizer.maxTokenId} but ${this.component.displayName} rejects them (${(error as Error).message.split('\n')[0]}): the tokenizer belongs to another model`,
        this.component.file,
      );
    }
  }
}
