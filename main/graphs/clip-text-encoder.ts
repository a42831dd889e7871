/**
 * The text encoder graph (transformers' CLIPTextModel) built from its weights, with the I/O an
 * Optimum export has: input_ids int64 [batch, sequence] → last_hidden_state float32
 * [batch, sequence, hidden] and pooler_output float32 [batch, hidden]. float16 builds keep that
 * float32 I/O (keep_io_types); quantized builds run every linear layer as dynamic int8.
 */
import type { SafetensorsFile } from '../weights/safetensors.ts';
import { safetensorsWeights, type WeightSource } from '../weights/weight-source.ts';
import type { BuildOptions } from './build-options.ts';
import type { ClipTextConfig } from './clip-text-config.ts';
import { CLIP_ATTENTION_NAMES, FullBlocks } from './full-blocks.ts';
import { GraphBuilder, type FloatType, type Value } from './onnx-graph.ts';

/** Optimum's dynamic axes for the text encoder. */
const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';

/**
 * The end-of-text id of CLIP's BPE vocabulary, its highest. Configs written before
 * transformers#24773 say eos_token_id 2 (SD 1.x's among them), and transformers keeps pooling them
 * at the highest id; see `poolingIndex`.
 */
const CLIP_EOS = 49407;

/** The lowest finite value per float type: transformers' causal masks use torch.finfo(dtype).min. */
const LOWEST: Record<FloatType, number> = { float32: -3.4028234663852886e38, float16: -65504 };

const TEXT_MODEL_PREFIX = 'text_model.';

/**
 * A text encoder's safetensors as the builder reads them: transformers before 5 saved
 * CLIPTextModel's keys under `text_model.`, transformers 5 saves them without.
 */
export function clipTextWeights(files: readonly SafetensorsFile[]): WeightSource {
  const prefixed = files.some((file) => file.has(`${TEXT_MODEL_PREFIX}final_layer_norm.weight`));
  return safetensorsWeights(files, prefixed ? TEXT_MODEL_PREFIX : '');
}

/**
 * The graph of `config`'s CLIPTextModel over `weights` (transformers' parameter names, without
 * `text_model.`: see clipTextWeights). Runs config.num_hidden_layers layers, all it is given.
 * Throws the WeightSource's error naming a tensor that is missing or of the wrong shape.
 */
export function buildTextEncoder(
  config: ClipTextConfig,
  weights: WeightSource,
  options: BuildOptions = {},
): GraphBuilder {
  const floatType = options.floatType ?? 'float32';
  const g = new GraphBuilder('text_encoder', 0, floatType, options.external, weights);
  // LoRAs train the encoder layers' attention and MLP projections; never the embeddings.
  const lora = options.lora === false ? undefined : (layer: string) => layer.startsWith('encoder.');
  const nn = new FullBlocks(g, options.quantized, lora);
  const width = config.hidden_size;
  const positions = config.max_position_embeddings;

  // 1. Embeddings (CLIPTextEmbeddings): token_embedding(ids) + position_embedding[:sequence].
  // A sequence past max_position_embeddings fails the Add, as transformers raises for it.
  const ids = g.input('input_ids', 'int64', [BATCH, SEQUENCE]);
  const sequence = g.shape(ids, 1, 2);
  const zero = g.int64s([0]);
  const tokenTable = g.weight('embeddings.token_embedding.weight', [config.vocab_size, width], 1);
  const positionTable = g.weight('embeddings.position_embedding.weight', [positions, width], 1);
  let h = g.add(g.gather(tokenTable, ids), g.slice(positionTable, zero, sequence, zero));

  // 2. The causal mask, cut to the sequence: token i attends to tokens 0..i only.
  const causal = Array.from({ length: positions * positions }, (_, i) =>
    i % positions > Math.floor(i / positions) ? LOWEST[floatType] : 0,
  );
  const full = g.constant('causal_mask', floatType, [positions, positions], causal);
  const mask = g.slice(full, g.int64s([0, 0]), g.concat([sequence, sequence], 0), g.int64s([0, 1]));

  // 3. The encoder layers, then final_layer_norm.
  for (let i = 0; i < config.num_hidden_layers; i++) {
    h = nn.clipLayer(h, `encoder.layers.${i}`, {
      width,
      heads: config.num_attention_heads,
      intermediate: config.intermediate_size,
      mask,
      activation: config.hidden_act,
      epsilon: config.layer_norm_eps,
      names: CLIP_ATTENTION_NAMES,
    });
  }
  const last = nn.layerNorm(h, 'final_layer_norm', width, config.layer_norm_eps);

  // 4. pooler_output: the final state at each row's end-of-text token.
  const pooled = g.op('GatherND', [last, poolingIndex(g, ids, config.eos_token_id)], {
    batch_dims: 1,
  });

  g.output(nn.convert(last, floatType, 'float32'), 'last_hidden_state', 'float32', [
    BATCH,
    SEQUENCE,
    width,
  ]);
  g.output(nn.convert(pooled, floatType, 'float32'), 'pooler_output', 'float32', [BATCH, width]);
  return g;
}

/**
 * CLIPTextTransformer's pooling position, int64 [batch, 1]: when every row's highest id is 49407
 * it takes that (the first, as argmax does), else each row's first `eos` (0 in a row without
 * one). With eos 49407 both rules pick the same token; with a pre-#24773 config's eos 2, the
 * tokenizer's rows (which all end in 49407) take the first rule. ArgMax runs on int32, as transformers casts for the export.
 */
function poolingIndex(g: GraphBuilder, ids: Value, eos: number): Value {
  const ids32 = g.cast(ids, 'int32');
  const argmax = (x: Value): Value => g.op('ArgMax', [x], { axis: -1, keepdims: 1 });
  const int32 = (name: string, value: number): Value =>
    g.constant(`pooling.${name}`, 'int32', [], [value]);

  const highest = argmax(ids32);
  const firstEos = argmax(g.cast(g.op('Equal', [ids32, int32('eos', eos)]), 'int32'));
  const rowMax = g.op('ReduceMax', [ids32], { axes: [-1], keepdims: 1 });
  const rowIsLegacy = g.cast(g.op('Equal', [rowMax, int32('clip_eos', CLIP_EOS)]), 'int32');
  const allRows = g.op('ReduceMin', [rowIsLegacy], { axes: [0], keepdims: 1 });
  const allLegacy = g.op('Equal', [allRows, int32('one', 1)]);
  return g.op('Where', [allLegacy, highest, firstEos]);
}
