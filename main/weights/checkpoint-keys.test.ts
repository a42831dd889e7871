import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapCheckpoint } from './checkpoint-keys.ts';
import { SafetensorsFile } from './safetensors.ts';
import { writeZeroTensors } from '../testing/weights.ts';

const REFERENCE = 'scripts/fixtures/diffusers-reference';

function open(t: { after(fn: () => void): void }, file: string): SafetensorsFile {
  const st = SafetensorsFile.open(file);
  t.after(() => st.close());
  return st;
}

/** The reference checkpoint's tensors (name → shape), for a test to edit and write back. */
function referenceTensors(t: { after(fn: () => void): void }, model: string) {
  const st = open(t, `${REFERENCE}/${model}/checkpoint.safetensors`);
  return new Map(st.list().map(({ name, shape }) => [name, shape] as const));
}

for (const [model, architecture, dropped] of [
  ['sd1-tiny', 'sd1', 0],
  ['sd2-tiny', 'sd2', 12], // OpenCLIP's last block: 12 tensors SD 2.x does not run
] as const) {
  test(`${model}: every checkpoint key lands in a diffusers component or is known unused`, (t) => {
    const checkpoint = open(t, `${REFERENCE}/${model}/checkpoint.safetensors`);
    const layout = mapCheckpoint(checkpoint);
    assert.equal(layout.architecture, architecture);
    assert.equal(layout.unused.length, dropped);
    const used = new Set(
      Object.values(layout.components).flatMap((names) => [...names.values()].map((e) => e.key)),
    );
    for (const { name } of checkpoint.list()) {
      assert.ok(used.has(name) !== layout.unused.includes(name), `${name}: used or unused, once`);
    }
    // No more names than the diffusers folder has, so nothing lands where no model looks.
    for (const [component, file] of [
      ['unet', 'unet/diffusion_pytorch_model.safetensors'],
      ['vae', 'vae/diffusion_pytorch_model.safetensors'],
      ['text_encoder', 'text_encoder/model.safetensors'],
    ] as const) {
      const folder = open(t, `${REFERENCE}/${model}/diffusers/${file}`);
      assert.equal(layout.components[component].size, folder.list().length, component);
    }
  });
}

test('the buffers and training leftovers of real checkpoints are known and left unused', (t) => {
  const tensors = referenceTensors(t, 'sd1-tiny');
  const extra = [
    'alphas_cumprod',
    'betas',
    'posterior_mean_coef2',
    'model_ema.decay',
    'model_ema.diffusion_modelinput_blocks00weight',
    'cond_stage_model.transformer.text_model.embeddings.position_ids',
    'first_stage_model.loss.logvar',
  ];
  for (const name of extra) tensors.set(name, [1]);
  const layout = mapCheckpoint(open(t, writeZeroTensors(t, tensors)));
  assert.deepEqual(layout.unused, extra);
});

test('a key the layout does not have is refused by name, the first one in the file', (t) => {
  const cases: [string, (tensors: Map<string, readonly number[]>) => void, RegExp][] = [
    [
      'an unknown top-level key',
      (m) => m.set('hostile.payload', [1]).set('zzz', [1]),
      /holds "hostile\.payload", which no SD 1\.x checkpoint has/,
    ],
    [
      'an unknown resnet part',
      (m) => m.set('model.diffusion_model.input_blocks.1.0.in_layers.1.weight', [32]),
      /holds "model\.diffusion_model\.input_blocks\.1\.0\.in_layers\.1\.weight"/,
    ],
    [
      'a prototype name as a part',
      (m) => m.set('model.diffusion_model.input_blocks.1.0.constructor.weight', [32]),
      /holds "model\.diffusion_model\.input_blocks\.1\.0\.constructor\.weight"/,
    ],
    [
      'an upsampler in a slot before the last of its level',
      (m) => m.set('model.diffusion_model.output_blocks.0.1.conv.weight', [64, 64, 3, 3]),
      /holds "model\.diffusion_model\.output_blocks\.0\.1\.conv\.weight"/,
    ],
    [
      'a decoder part in the VAE encoder',
      (m) => m.set('first_stage_model.encoder.up.0.block.0.conv1.weight', [32, 32, 3, 3]),
      /holds "first_stage_model\.encoder\.up\.0\.block\.0\.conv1\.weight"/,
    ],
    [
      'a text encoder of the other layout too',
      (m) => m.set('cond_stage_model.model.ln_final.weight', [64]),
      /holds both an SD 1\.x text encoder \(cond_stage_model\.transformer\.text_model\.\*\) and an SD 2\.x one/,
    ],
    [
      'no VAE',
      (m) => {
        for (const k of m.keys()) if (k.startsWith('first_stage_model.')) m.delete(k);
      },
      /holds no VAE \(first_stage_model\.\*\)/,
    ],
    [
      'a UNet whose blocks do not form levels',
      (m) =>
        m.delete('model.diffusion_model.input_blocks.3.0.op.weight') &&
        m.delete('model.diffusion_model.input_blocks.3.0.op.bias'),
      /its UNet's 5 input and 6 output blocks do not split into equal levels around its 0 downsamplers/,
    ],
  ];
  for (const [what, edit, expected] of cases) {
    const tensors = referenceTensors(t, 'sd1-tiny');
    edit(tensors);
    const file = writeZeroTensors(t, tensors);
    assert.throws(() => mapCheckpoint(open(t, file)), expected, what);
  }
});

test('an OpenCLIP q/k/v projection that does not split in three equal parts is refused', (t) => {
  const tensors = referenceTensors(t, 'sd2-tiny');
  tensors.set('cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight', [190, 64]);
  assert.throws(
    () => mapCheckpoint(open(t, writeZeroTensors(t, tensors))),
    /tensor "cond_stage_model\.model\.transformer\.resblocks\.1\.attn\.in_proj_weight" is \[190, 64\], not a q\/k\/v projection of three equal parts/,
  );
});

test('a LoRA, a diffusers UNet or VAE is refused saying what it looks like', (t) => {
  const cases: [string, RegExp][] = [
    [
      `${REFERENCE}/sd1-tiny/lora-kohya.safetensors`,
      /is a LoRA \(add it as a LoRA\), not a Stable Diffusion checkpoint \(key "lora_/,
    ],
    [
      `${REFERENCE}/sd1-tiny/diffusers/unet/diffusion_pytorch_model.safetensors`,
      /is a diffusers UNet/,
    ],
    [
      `${REFERENCE}/sd2-tiny/diffusers/vae/diffusion_pytorch_model.safetensors`,
      /is a diffusers VAE/,
    ],
    [`${REFERENCE}/sd1-tiny/diffusers/text_encoder/model.safetensors`, /is a text encoder/],
  ];
  for (const [file, expected] of cases) assert.throws(() => mapCheckpoint(open(t, file)), expected);
  const sdxl = writeZeroTensors(t, [
    ['model.diffusion_model.input_blocks.0.0.weight', [320, 4, 3, 3]],
    ['conditioner.embedders.0.transformer.text_model.final_layer_norm.weight', [768]],
  ]);
  assert.throws(() => mapCheckpoint(open(t, sdxl)), /is an SDXL checkpoint/);
});
