import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REFERENCE_DIR } from '../testing/graphs/reference.ts';
import { writeSafetensors } from '../testing/weights.ts';
import type { LoraErrorCode } from './errors.ts';
import { inspectLora, isLoraFile, readLora } from './read-lora.ts';
import { loraRefusal, referenceLora, writeLora, type TestTensor } from '../testing/lora.ts';

const Q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1';

/** A layer's down and up at rank `rank`, `in` → `out` wide, under `key` with kohya's suffixes. */
const kohya = (key: string, rank: number, inF: number, out: number): TestTensor[] => [
  [`${key}.lora_down.weight`, [rank, inF]],
  [`${key}.lora_up.weight`, [out, rank]],
];

test('PEFT keys, with or without text_model., name the model modules dotted; alpha defaults to the rank', (t) => {
  const file = writeLora(t, [
    [`unet.${Q}.to_q.lora_A.weight`, [4, 32]],
    [`unet.${Q}.to_q.lora_B.weight`, [32, 4]],
    [`unet.${Q}.to_q.alpha`, [], [8]],
    ['text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight', [2, 64]],
    ['text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_B.weight', [64, 2]],
    ['text_encoder.encoder.layers.1.mlp.fc1.lora_A.weight', [2, 64]],
    ['text_encoder.encoder.layers.1.mlp.fc1.lora_B.weight', [256, 2]],
  ]);
  const lora = readLora(file);
  assert.equal(lora.format, 'peft');
  assert.deepEqual(
    lora.layers.map((l) => [l.key, l.component, l.name, l.rank, l.alpha]),
    [
      [`unet.${Q}.to_q`, 'unet', `${Q}.to_q`, 4, 8],
      [
        'text_encoder.text_model.encoder.layers.0.self_attn.q_proj',
        'text_encoder',
        'encoder.layers.0.self_attn.q_proj',
        2,
        2,
      ],
      ['text_encoder.encoder.layers.1.mlp.fc1', 'text_encoder', 'encoder.layers.1.mlp.fc1', 2, 2],
    ],
  );
  assert.deepEqual(lora.layers[0]!.down.dims, [4, 32]);
  assert.deepEqual(lora.layers[0]!.up.dims, [32, 4]);
});

test("older diffusers' branch modules name the layer they add to", (t) => {
  const file = writeLora(t, [
    [`unet.${Q}.processor.to_q_lora.down.weight`, [4, 32]],
    [`unet.${Q}.processor.to_q_lora.up.weight`, [32, 4]],
    [`unet.${Q}.processor.to_out_lora.down.weight`, [4, 32]],
    [`unet.${Q}.processor.to_out_lora.up.weight`, [32, 4]],
    [`unet.${Q}.to_v.lora.down.weight`, [4, 32]],
    [`unet.${Q}.to_v.lora.up.weight`, [32, 4]],
    ['text_encoder.text_model.encoder.layers.0.self_attn.to_k_lora.down.weight', [4, 64]],
    ['text_encoder.text_model.encoder.layers.0.self_attn.to_k_lora.up.weight', [64, 4]],
    ['text_encoder.text_model.encoder.layers.0.mlp.fc2.lora_linear_layer.down.weight', [4, 256]],
    ['text_encoder.text_model.encoder.layers.0.mlp.fc2.lora_linear_layer.up.weight', [64, 4]],
  ]);
  assert.deepEqual(
    readLora(file).layers.map((l) => l.name),
    [
      `${Q}.to_q`,
      `${Q}.to_out.0`,
      `${Q}.to_v`,
      'encoder.layers.0.self_attn.k_proj',
      'encoder.layers.0.mlp.fc2',
    ],
  );
});

test('kohya names stay underscored, the text encoder without its text_model_ root', (t) => {
  const file = writeLora(t, [
    ...kohya('lora_te_text_model_encoder_layers_0_self_attn_out_proj', 4, 64, 64),
    ['lora_te_text_model_encoder_layers_0_self_attn_out_proj.alpha', [], [1]],
    ['lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight', [8, 32, 3, 3]],
    ['lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight', [32, 8, 1, 1]],
  ]);
  const lora = readLora(file);
  assert.deepEqual(
    lora.layers.map((l) => [l.component, l.name, l.rank, l.alpha]),
    [
      ['text_encoder', 'encoder_layers_0_self_attn_out_proj', 4, 1],
      ['unet', 'down_blocks_0_resnets_0_conv1', 8, 8],
    ],
  );
  assert.deepEqual(lora.layers[1]!.down.dims, [8, 32, 3, 3]);
  assert.equal(lora.layers[1]!.down.data.length, 8 * 32 * 9);
});

test('what the app cannot apply is refused, naming the first key at fault', (t) => {
  const cases: [string, TestTensor[], Record<string, string> | undefined, LoraErrorCode, RegExp][] =
    [
      [
        'SDXL, its first text encoder',
        kohya('lora_te1_text_model_encoder_layers_0_self_attn_q_proj', 4, 768, 768),
        undefined,
        'LORA_UNSUPPORTED',
        /^lora\.safetensors is an SDXL LoRA; the app runs SD 1\.x and 2\.x models \(key "lora_te1_text_model_encoder_layers_0_self_attn_q_proj\.lora_down\.weight"\)$/,
      ],
      [
        'SDXL, its second text encoder',
        [
          ...kohya('lora_unet_mid_block_attentions_0_proj_in', 4, 32, 32),
          ...kohya('lora_te2_text_model_encoder_layers_0_mlp_fc1', 4, 1280, 5120),
        ],
        undefined,
        'LORA_UNSUPPORTED',
        /SDXL LoRA.*\(key "lora_te2_text_model_encoder_layers_0_mlp_fc1\.lora_down\.weight"\)/,
      ],
      [
        'SDXL in diffusers keys',
        [['text_encoder_2.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight', [4, 1280]]],
        undefined,
        'LORA_UNSUPPORTED',
        /SDXL LoRA.*\(key "text_encoder_2\.text_model\.encoder/,
      ],
      [
        'SDXL by its metadata',
        kohya('lora_unet_mid_block_attentions_0_proj_in', 4, 32, 32),
        { ss_base_model_version: 'sdxl_base_v1-0' },
        'LORA_UNSUPPORTED',
        /SDXL LoRA.*\(its metadata says ss_base_model_version "sdxl_base_v1-0"\)$/,
      ],
      [
        'LoHa',
        [
          ['lora_unet_mid_block_attentions_0_proj_in.hada_w1_a', [32, 4]],
          ['lora_unet_mid_block_attentions_0_proj_in.hada_w1_b', [4, 32]],
        ],
        undefined,
        'LORA_UNSUPPORTED',
        /is a LyCORIS LoHa, which the app cannot apply \(key "lora_unet_mid_block_attentions_0_proj_in\.hada_w1_a"\)/,
      ],
      [
        'LoKr',
        [['lora_unet_mid_block_attentions_0_proj_in.lokr_w1', [4, 4]]],
        undefined,
        'LORA_UNSUPPORTED',
        /is a LyCORIS LoKr.*\(key "lora_unet_mid_block_attentions_0_proj_in\.lokr_w1"\)/,
      ],
      [
        'DoRA',
        [
          ...kohya('lora_unet_mid_block_attentions_0_proj_in', 4, 32, 32),
          ['lora_unet_mid_block_attentions_0_proj_in.dora_scale', [1, 32]],
        ],
        undefined,
        'LORA_UNSUPPORTED',
        /is a DoRA.*\(key "lora_unet_mid_block_attentions_0_proj_in\.dora_scale"\)/,
      ],
      [
        'a full difference',
        [['lora_unet_mid_block_attentions_0_proj_in.diff', [32, 32]]],
        undefined,
        'LORA_UNSUPPORTED',
        /full-difference.*\(key "lora_unet_mid_block_attentions_0_proj_in\.diff"\)/,
      ],
      [
        'a down without its up',
        [['lora_unet_mid_block_attentions_0_proj_in.lora_down.weight', [4, 32]]],
        undefined,
        'LORA_UNREADABLE',
        /is incomplete: "lora_unet_mid_block_attentions_0_proj_in\.lora_down\.weight" has no up weight/,
      ],
      [
        'an up without its down',
        [[`unet.${Q}.to_q.lora_B.weight`, [32, 4]]],
        undefined,
        'LORA_UNREADABLE',
        /"unet\..*\.to_q\.lora_B\.weight" has no down weight/,
      ],
      [
        'ranks that disagree',
        [
          ['lora_unet_mid_block_attentions_0_proj_in.lora_down.weight', [4, 32]],
          ['lora_unet_mid_block_attentions_0_proj_in.lora_up.weight', [32, 8]],
        ],
        undefined,
        'LORA_SHAPE',
        /"lora_unet_mid_block_attentions_0_proj_in\.lora_down\.weight" is \[4, 32\] and "lora_unet_mid_block_attentions_0_proj_in\.lora_up\.weight" \[32, 8\], not a down and an up of one rank/,
      ],
      ...[NaN, Infinity, 0, -1].map(
        (alpha): [string, TestTensor[], undefined, LoraErrorCode, RegExp] => [
          `alpha ${alpha}`,
          [
            ...kohya('lora_unet_mid_block_attentions_0_proj_in', 4, 32, 32),
            ['lora_unet_mid_block_attentions_0_proj_in.alpha', [], [alpha]],
          ],
          undefined,
          'LORA_UNREADABLE',
          new RegExp(
            `"lora_unet_mid_block_attentions_0_proj_in\\.alpha" is ${alpha}; an alpha is one positive number`,
          ),
        ],
      ),
      [
        'a checkpoint',
        [
          ['model.diffusion_model.input_blocks.0.0.weight', [32, 4, 3, 3]],
          ['first_stage_model.decoder.conv_in.weight', [4, 4, 3, 3]],
        ],
        undefined,
        'LORA_UNSUPPORTED',
        /^lora\.safetensors is not a LoRA: it holds no LoRA weights \(its first tensor is "model\.diffusion_model\.input_blocks\.0\.0\.weight"\)$/,
      ],
      [
        'a LoRA with a stranger tensor',
        [...kohya('lora_unet_mid_block_attentions_0_proj_in', 4, 32, 32), ['emb_params', [2, 768]]],
        undefined,
        'LORA_UNSUPPORTED',
        /holds "emb_params", which is no part of a LoRA/,
      ],
      [
        'both namings in one file',
        [
          ...kohya('lora_unet_mid_block_attentions_0_proj_in', 4, 32, 32),
          [`unet.${Q}.to_q.lora_A.weight`, [4, 32]],
        ],
        undefined,
        'LORA_UNSUPPORTED',
        /mixes kohya and diffusers key names \(key "unet\./,
      ],
    ];
  for (const [what, tensors, metadata, code, message] of cases) {
    const file = writeLora(t, tensors, {
      fileName: 'lora.safetensors',
      ...(metadata && { metadata }),
    });
    assert.throws(() => readLora(file), loraRefusal(code, message), what);
    assert.throws(() => inspectLora(file), loraRefusal(code, message), what);
  }
});

test('a file that is no safetensors file, or is not there, is unreadable', (t) => {
  const garbage = writeSafetensors(t, 'not json', Buffer.alloc(0));
  assert.throws(
    () => readLora(garbage),
    loraRefusal('LORA_UNREADABLE', /^model\.safetensors cannot be read as a LoRA: .*not JSON/),
  );
  assert.throws(
    () => isLoraFile(garbage),
    loraRefusal('LORA_UNREADABLE', /cannot be read as a LoRA/),
  );
  const missing = path.join(path.dirname(garbage), 'gone.safetensors');
  assert.throws(() => readLora(missing), loraRefusal('LORA_UNREADABLE', /ENOENT/));
});

test('isLoraFile tells a LoRA (even one the app refuses) from a checkpoint by its header', (t) => {
  assert.equal(isLoraFile(referenceLora('sd1-tiny')), true);
  assert.equal(isLoraFile(path.join(REFERENCE_DIR, 'sd1-tiny', 'checkpoint.safetensors')), false);
  const unet = path.join(
    REFERENCE_DIR,
    'sd2-tiny',
    'diffusers/unet/diffusion_pytorch_model.safetensors',
  );
  assert.equal(isLoraFile(unet), false);
  const loha = writeLora(t, [['lora_unet_mid_block_attentions_0_proj_in.hada_w1_a', [32, 4]]]);
  assert.equal(isLoraFile(loha), true);
});

test('without metadata, the widths of text-encoder and cross-attention layers tell the line', (t) => {
  const base = (tensors: TestTensor[], metadata?: Record<string, string>) =>
    readLora(writeLora(t, tensors, metadata && { metadata })).base;
  const toK = 'lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k';
  const toV = `unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_v`;
  const fc2 = 'lora_te_text_model_encoder_layers_0_mlp_fc2';
  const qProj = 'lora_te_text_model_encoder_layers_0_self_attn_q_proj';
  assert.equal(base(kohya(toK, 4, 768, 1280)), 'sd1');
  assert.equal(
    base([
      [`${toV}.lora_A.weight`, [4, 1024]],
      [`${toV}.lora_B.weight`, [1280, 4]],
    ]),
    'sd2',
  );
  // fc2 reads the 4096-wide MLP, which tells nothing; q_proj reads the 1024-wide stream.
  assert.equal(base([...kohya(fc2, 4, 4096, 1024), ...kohya(qProj, 4, 1024, 1024)]), 'sd2');
  assert.equal(base(kohya(qProj, 4, 768, 768)), 'sd1');
  // A self-attention's key reads the image features, never the text's.
  assert.equal(base(kohya(toK.replace('attn2', 'attn1'), 4, 768, 768)), undefined);
  // What the trainer recorded comes first.
  assert.equal(base(kohya(qProj, 4, 768, 768), { ss_base_model_version: 'sd_2.1' }), 'sd2');
});

test('inspectLora summarises from the header: ranks distinct and sorted, components in order', (t) => {
  const file = writeLora(t, [
    ...kohya('lora_te_text_model_encoder_layers_0_self_attn_q_proj', 8, 64, 64),
    ...kohya('lora_unet_mid_block_attentions_0_proj_in', 16, 32, 32),
    ...kohya('lora_unet_mid_block_attentions_0_proj_out', 8, 32, 32),
  ]);
  assert.deepEqual(inspectLora(file), {
    format: 'kohya',
    base: undefined,
    layers: 3,
    ranks: [8, 16],
    components: ['unet', 'text_encoder'],
    bytes: fs.statSync(file).size,
  });
});
