import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLora } from './read-lora.ts';
import { resolveLora } from './resolve-lora.ts';
import { loraRefusal, referenceTargets, writeLora, type TestTensor } from '../testing/lora.ts';

const BLOCK = 'down_blocks.0.attentions.0.transformer_blocks.0';
const sd1 = referenceTargets('sd1-tiny');
const sd2 = referenceTargets('sd2-tiny');

/** The same three layers in each naming: seeded by their position, so the numbers match too. */
function sameLayers(
  names: readonly [string, string, string],
  suffixes: readonly [string, string],
): TestTensor[] {
  const dims = [
    [
      [4, 32],
      [32, 4],
    ],
    [
      [4, 32],
      [32, 4],
    ],
    [
      [2, 64],
      [64, 2],
    ],
  ] as const;
  return names.flatMap((name, i): TestTensor[] => {
    const [down, up] = dims[i]!;
    const values = (n: number, seed: number) => Array.from({ length: n }, (_, k) => seed + k);
    return [
      [`${name}${suffixes[0]}`, down, values(down[0] * down[1], 100 * i)],
      [`${name}${suffixes[1]}`, up, values(up[0] * up[1], 100 * i + 50)],
    ];
  });
}

test('kohya, PEFT and older diffusers names of the same layers resolve to the same branches', (t) => {
  const files = [
    sameLayers(
      [
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q',
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_out_0',
        'lora_te_text_model_encoder_layers_2_self_attn_v_proj',
      ],
      ['.lora_down.weight', '.lora_up.weight'],
    ),
    sameLayers(
      [
        `unet.${BLOCK}.attn1.to_q`,
        `unet.${BLOCK}.attn2.to_out.0`,
        'text_encoder.text_model.encoder.layers.2.self_attn.v_proj',
      ],
      ['.lora_A.weight', '.lora_B.weight'],
    ),
    sameLayers(
      [
        `unet.${BLOCK}.attn1.processor.to_q_lora`,
        `unet.${BLOCK}.attn2.processor.to_out_lora`,
        'text_encoder.text_model.encoder.layers.2.self_attn.to_v_lora',
      ],
      ['.down.weight', '.up.weight'],
    ),
  ].map((tensors) => resolveLora(readLora(writeLora(t, tensors)), sd1));
  const [kohya, ...others] = files.map((lora) =>
    lora.layers.map((layer) => ({ ...layer, down: [...layer.down.data], up: [...layer.up.data] })),
  );
  assert.deepEqual(
    kohya!.map((layer) => [layer.target.component, layer.target.module]),
    [
      ['unet', `${BLOCK}.attn1.to_q`],
      ['unet', `${BLOCK}.attn2.to_out.0`],
      ['text_encoder', 'encoder.layers.2.self_attn.v_proj'],
    ],
  );
  for (const other of others) assert.deepEqual(other, kohya);
});

test('a layer the model has no branch for is refused, naming its key and module', (t) => {
  const kohya = writeLora(
    t,
    [
      [
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn3_to_q.lora_down.weight',
        [4, 32],
      ],
      [
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn3_to_q.lora_up.weight',
        [32, 4],
      ],
    ],
    { fileName: 'odd.safetensors' },
  );
  assert.throws(
    () => resolveLora(readLora(kohya), sd1),
    loraRefusal(
      'LORA_UNKNOWN_MODULE',
      /^odd\.safetensors does not fit this model: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn3_to_q" is for a UNet layer down_blocks_0_attentions_0_transformer_blocks_0_attn3_to_q that the model has no LoRA input for$/,
    ),
  );
  // The text encoder's fourth layer: the tiny model has three.
  const peft = writeLora(t, [
    ['text_encoder.text_model.encoder.layers.3.self_attn.q_proj.lora_A.weight', [4, 64]],
    ['text_encoder.text_model.encoder.layers.3.self_attn.q_proj.lora_B.weight', [64, 4]],
  ]);
  assert.throws(
    () => resolveLora(readLora(peft), sd1),
    loraRefusal(
      'LORA_UNKNOWN_MODULE',
      /"text_encoder\.text_model\.encoder\.layers\.3\.self_attn\.q_proj" is for a text encoder layer encoder\.layers\.3\.self_attn\.q_proj that/,
    ),
  );
});

test("a layer whose widths are not the model's is refused, naming both shapes", (t) => {
  const file = writeLora(t, [
    [`unet.${BLOCK}.attn2.to_k.lora_A.weight`, [4, 768]],
    [`unet.${BLOCK}.attn2.to_k.lora_B.weight`, [32, 4]],
  ]);
  assert.throws(
    () => resolveLora(readLora(file), sd1),
    loraRefusal(
      'LORA_SHAPE',
      /"unet\.down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn2\.to_k" has a down of \[4, 768\] and an up of \[32, 4\], but the model's down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn2\.to_k is a linear layer from 64 to 32 features$/,
    ),
  );
  // A LoCon 3x3 down cannot feed a linear layer, nor a 1x1 one a 3x3 convolution.
  const locon = writeLora(t, [
    ['lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight', [4, 32, 1, 1]],
    ['lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight', [32, 4, 1, 1]],
  ]);
  assert.throws(
    () => resolveLora(readLora(locon), sd1),
    loraRefusal('LORA_SHAPE', /resnets\.0\.conv1 is a 3x3 convolution from 32 to 32 channels$/),
  );
});

test('1x1 layouts are interchangeable: SD 1.x conv proj_in takes a linear down, SD 2.x linear one a 1x1', (t) => {
  const proj = 'lora_unet_down_blocks_0_attentions_0_proj_in';
  const linear = writeLora(t, [
    [`${proj}.lora_down.weight`, [4, 32]],
    [`${proj}.lora_up.weight`, [32, 4]],
  ]);
  const [onConv] = resolveLora(readLora(linear), sd1).layers;
  assert.equal(onConv!.target.kind, 'conv');
  assert.deepEqual(
    [onConv!.down.dims, onConv!.up.dims],
    [
      [4, 32, 1, 1],
      [32, 4, 1, 1],
    ],
  );

  const conv = writeLora(t, [
    [`${proj}.lora_down.weight`, [4, 64, 1, 1]],
    [`${proj}.lora_up.weight`, [64, 4, 1, 1]],
  ]);
  const [onLinear] = resolveLora(readLora(conv), sd2).layers;
  assert.equal(onLinear!.target.kind, 'linear');
  assert.deepEqual(
    [onLinear!.down.dims, onLinear!.up.dims],
    [
      [4, 64],
      [64, 4],
    ],
  );
  assert.deepEqual([...onLinear!.down.data], [...readLora(conv).layers[0]!.down.data]);
});

test('LoCon 3x3 layers land on the resnets and samplers', (t) => {
  const file = writeLora(t, [
    ['lora_unet_down_blocks_0_resnets_1_conv2.lora_down.weight', [8, 32, 3, 3]],
    ['lora_unet_down_blocks_0_resnets_1_conv2.lora_up.weight', [32, 8, 1, 1]],
    ['lora_unet_down_blocks_0_downsamplers_0_conv.lora_down.weight', [8, 32, 3, 3]],
    ['lora_unet_down_blocks_0_downsamplers_0_conv.lora_up.weight', [32, 8, 1, 1]],
  ]);
  assert.deepEqual(
    resolveLora(readLora(file), sd1).layers.map((l) => [l.target.module, l.target.kernel]),
    [
      ['down_blocks.0.resnets.1.conv2', 3],
      ['down_blocks.0.downsamplers.0.conv', 3],
    ],
  );
});
