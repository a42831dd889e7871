/**
 * The configs a single-file checkpoint does not carry, inferred from its tensors: the family and
 * architecture from the text encoder's layout, widths and depths from the shapes, attention heads
 * from the architecture's rule. Field names are those of diffusers' and transformers' config.json,
 * so a graph builder takes either a diffusers folder's config or one of these.
 */
import type { ModelFamily } from '../engine/types.ts';
import {
  mapCheckpoint,
  type CheckpointArchitecture,
  type CheckpointComponent,
  type CheckpointLayout,
} from './checkpoint-keys.ts';
import { SafetensorsError, type SafetensorsFile } from './safetensors.ts';

/** UNet2DConditionModel's config.json, the fields an SD 1.x/2.x UNet's architecture depends on. */
export interface CheckpointUnetConfig {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number;
  readonly down_block_types: readonly ('CrossAttnDownBlock2D' | 'DownBlock2D')[];
  readonly up_block_types: readonly ('CrossAttnUpBlock2D' | 'UpBlock2D')[];
  /** null: the UNet has no mid block. */
  readonly mid_block_type: 'UNetMidBlock2DCrossAttn' | null;
  /**
   * Heads per attention, under the name diffusers' SD configs (mis)use for it: one number for all
   * blocks (SD 1.x: 8) or one per block (SD 2.x: channels / 64, a head width of 64).
   */
  readonly attention_head_dim: number | readonly number[];
  readonly cross_attention_dim: number;
  /** SD 2.x: linear proj_in/proj_out ([C, C]); SD 1.x: 1x1 convolutions ([C, C, 1, 1]). */
  readonly use_linear_projection: boolean;
  readonly transformer_layers_per_block: number;
  readonly norm_num_groups: 32;
  readonly norm_eps: 1e-5;
  readonly act_fn: 'silu';
  readonly flip_sin_to_cos: true;
  readonly freq_shift: 0;
  readonly downsample_padding: 1;
  readonly mid_block_scale_factor: 1;
}

/** AutoencoderKL's config.json, the fields the architecture and the latent scale depend on. */
export interface CheckpointVaeConfig {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly latent_channels: number;
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number;
  readonly down_block_types: readonly 'DownEncoderBlock2D'[];
  readonly up_block_types: readonly 'UpDecoderBlock2D'[];
  readonly mid_block_add_attention: boolean;
  readonly use_quant_conv: boolean;
  readonly use_post_quant_conv: boolean;
  readonly norm_num_groups: 32;
  readonly act_fn: 'silu';
  /** LDM's scale_factor, which checkpoints do not store: every SD 1.x/2.x VAE uses it. */
  readonly scaling_factor: 0.18215;
}

/** CLIPTextConfig's config.json, the fields the architecture depends on. */
export interface CheckpointTextEncoderConfig {
  readonly hidden_size: number;
  readonly intermediate_size: number;
  /** For SD 2.x, OpenCLIP's blocks less the last, which SD 2.x does not run. */
  readonly num_hidden_layers: number;
  /** hidden_size / 64: both CLIP ViT-L and OpenCLIP ViT-H use 64-wide heads. */
  readonly num_attention_heads: number;
  readonly hidden_act: 'quick_gelu' | 'gelu';
  readonly max_position_embeddings: number;
  readonly vocab_size: number;
  readonly layer_norm_eps: 1e-5;
}

export interface CheckpointConfig {
  readonly architecture: CheckpointArchitecture;
  /** How the app drives the model: the architecture's default unless overridden (`--family`). */
  readonly family: ModelFamily;
  readonly unet: CheckpointUnetConfig;
  readonly vae: CheckpointVaeConfig;
  readonly text_encoder: CheckpointTextEncoderConfig;
}

/**
 * A checkpoint cannot tell a base model from a distilled one, so each architecture defaults to the
 * family whose tokenizer and scheduler the app ships for it: SD 1.x to SD 1.5 (PNDM), SD 2.x to
 * SD-Turbo (Euler, trailing), the one SD 2.x model in the catalog.
 */
const DEFAULT_FAMILY: Readonly<Record<CheckpointArchitecture, ModelFamily>> = {
  sd1: 'sd15',
  sd2: 'turbo',
};

/** Infers the configs of checkpoint `file`; refuses it naming the first key or shape that misfits. */
export function inferCheckpointConfig(
  file: SafetensorsFile,
  familyOverride?: ModelFamily,
): CheckpointConfig {
  const layout = mapCheckpoint(file);
  const shapes = new CheckpointShapes(file, layout);
  return {
    architecture: layout.architecture,
    family: familyOverride ?? DEFAULT_FAMILY[layout.architecture],
    unet: unetConfig(shapes, layout.architecture),
    vae: vaeConfig(shapes),
    text_encoder: textEncoderConfig(shapes, layout.architecture),
  };
}

/** Shapes by diffusers name, refusing those the config cannot be read from. */
class CheckpointShapes {
  constructor(
    readonly file: SafetensorsFile,
    private readonly layout: CheckpointLayout,
  ) {}

  names(component: CheckpointComponent): string[] {
    return [...this.layout.components[component].keys()];
  }

  has(component: CheckpointComponent, name: string): boolean {
    return this.layout.components[component].has(name);
  }

  /** The shape of `name`, refused (naming its checkpoint key) unless `fits` accepts it. */
  expect(
    component: CheckpointComponent,
    name: string,
    fits: (shape: readonly number[]) => boolean,
  ): readonly number[] {
    const entry = this.layout.components[component].get(name);
    if (!entry) throw new SafetensorsError(this.file.file, `holds no ${component} "${name}"`);
    const { shape } = this.file.info(entry.key);
    if (!fits(shape)) {
      throw new SafetensorsError(
        this.file.file,
        `tensor "${entry.key}" is [${shape.join(', ')}], a shape the ${component}'s "${name}" cannot have`,
      );
    }
    return shape;
  }

  /** The distinct values of `pattern`'s first group over `component`'s names, ascending. */
  indices(component: CheckpointComponent, pattern: RegExp): number[] {
    const found = new Set(this.names(component).flatMap((n) => pattern.exec(n)?.[1] ?? []));
    return [...found].map(Number).sort((a, b) => a - b);
  }
}

const rank = (n: number) => (shape: readonly number[]) => shape.length === n;
const conv = rank(4);
const HEAD_WIDTH = 64;

function unetConfig(
  shapes: CheckpointShapes,
  architecture: CheckpointArchitecture,
): CheckpointUnetConfig {
  const levels = shapes.indices('unet', /^down_blocks\.(\d+)\./);
  const blockOut = levels.map(
    (level) =>
      shapes.expect(
        'unet',
        `down_blocks.${level}.resnets.0.conv1.weight`,
        // SD 2.x's heads are 64 wide: a level's width must hold whole heads.
        (shape) => conv(shape) && (architecture === 'sd1' || shape[0]! % HEAD_WIDTH === 0),
      )[0]!,
  );

  // proj_in is linear [C, C] (SD 2.x) or a 1x1 convolution [C, C, 1, 1] (SD 1.x), alike throughout.
  const projections = shapes.names('unet').filter((n) => n.endsWith('.proj_in.weight'));
  if (projections.length === 0) {
    throw new SafetensorsError(shapes.file.file, 'its UNet has no attention: not an SD UNet');
  }
  const linear =
    shapes.expect('unet', projections[0]!, (s) => s.length === 2 || s.length === 4).length === 2;
  for (const name of projections) {
    shapes.expect('unet', name, (s) =>
      linear ? s.length === 2 : s.length === 4 && s[2] === 1 && s[3] === 1,
    );
  }

  // Cross-attention's to_k projects the text embeddings: [C, context width] everywhere.
  const firstAttention = projections[0]!.slice(0, -'proj_in.weight'.length);
  const crossKeys = shapes.names('unet').filter((n) => n.endsWith('.attn2.to_k.weight'));
  const first = crossKeys[0] ?? `${firstAttention}transformer_blocks.0.attn2.to_k.weight`;
  const context = shapes.expect('unet', first, rank(2))[1]!;
  for (const name of crossKeys) shapes.expect('unet', name, (s) => rank(2)(s) && s[1] === context);

  const transformerDepth = new Set(
    shapes
      .names('unet')
      .flatMap((n) =>
        n.startsWith(firstAttention)
          ? (/^transformer_blocks\.(\d+)\./.exec(n.slice(firstAttention.length))?.[1] ?? [])
          : [],
      ),
  ).size;
  const crossAttention = (at: string) => shapes.has('unet', `${at}.attentions.0.proj_in.weight`);
  return {
    in_channels: shapes.expect('unet', 'conv_in.weight', conv)[1]!,
    out_channels: shapes.expect('unet', 'conv_out.weight', conv)[0]!,
    block_out_channels: blockOut,
    layers_per_block: shapes.indices('unet', /^down_blocks\.0\.resnets\.(\d+)\./).length,
    down_block_types: levels.map((level) =>
      crossAttention(`down_blocks.${level}`) ? 'CrossAttnDownBlock2D' : 'DownBlock2D',
    ),
    up_block_types: shapes
      .indices('unet', /^up_blocks\.(\d+)\./)
      .map((level) => (crossAttention(`up_blocks.${level}`) ? 'CrossAttnUpBlock2D' : 'UpBlock2D')),
    mid_block_type: shapes.names('unet').some((n) => n.startsWith('mid_block.'))
      ? 'UNetMidBlock2DCrossAttn'
      : null,
    // SD 1.x runs 8 heads per attention, SD 2.x 64-wide heads.
    attention_head_dim: architecture === 'sd1' ? 8 : blockOut.map((c) => c / HEAD_WIDTH),
    cross_attention_dim: context,
    use_linear_projection: linear,
    transformer_layers_per_block: transformerDepth,
    norm_num_groups: 32,
    norm_eps: 1e-5,
    act_fn: 'silu',
    flip_sin_to_cos: true,
    freq_shift: 0,
    downsample_padding: 1,
    mid_block_scale_factor: 1,
  };
}

function vaeConfig(shapes: CheckpointShapes): CheckpointVaeConfig {
  const levels = shapes.indices('vae', /^encoder\.down_blocks\.(\d+)\./);
  return {
    in_channels: shapes.expect('vae', 'encoder.conv_in.weight', conv)[1]!,
    out_channels: shapes.expect('vae', 'decoder.conv_out.weight', conv)[0]!,
    latent_channels: shapes.expect('vae', 'decoder.conv_in.weight', conv)[1]!,
    block_out_channels: levels.map(
      (level) =>
        shapes.expect('vae', `encoder.down_blocks.${level}.resnets.0.conv1.weight`, conv)[0]!,
    ),
    layers_per_block: shapes.indices('vae', /^encoder\.down_blocks\.0\.resnets\.(\d+)\./).length,
    down_block_types: levels.map(() => 'DownEncoderBlock2D'),
    up_block_types: shapes
      .indices('vae', /^decoder\.up_blocks\.(\d+)\./)
      .map(() => 'UpDecoderBlock2D'),
    mid_block_add_attention: shapes.has('vae', 'encoder.mid_block.attentions.0.to_q.weight'),
    use_quant_conv: shapes.has('vae', 'quant_conv.weight'),
    use_post_quant_conv: shapes.has('vae', 'post_quant_conv.weight'),
    norm_num_groups: 32,
    act_fn: 'silu',
    scaling_factor: 0.18215,
  };
}

function textEncoderConfig(
  shapes: CheckpointShapes,
  architecture: CheckpointArchitecture,
): CheckpointTextEncoderConfig {
  const [vocab, hidden] = shapes.expect(
    'text_encoder',
    'embeddings.token_embedding.weight',
    (s) => rank(2)(s) && s[1]! % HEAD_WIDTH === 0,
  ) as [number, number];
  const width = (s: readonly number[]) => rank(2)(s) && s[1] === hidden;
  return {
    hidden_size: hidden,
    intermediate_size: shapes.expect('text_encoder', 'encoder.layers.0.mlp.fc1.weight', width)[0]!,
    num_hidden_layers: shapes.indices('text_encoder', /^encoder\.layers\.(\d+)\./).length,
    num_attention_heads: hidden / HEAD_WIDTH,
    // OpenAI's CLIP was trained with QuickGELU, OpenCLIP's ViT-H with exact GELU.
    hidden_act: architecture === 'sd1' ? 'quick_gelu' : 'gelu',
    max_position_embeddings: shapes.expect(
      'text_encoder',
      'embeddings.position_embedding.weight',
      width,
    )[0]!,
    vocab_size: vocab,
    layer_norm_eps: 1e-5,
  };
}
