import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointWeights } from './checkpoint-weights.ts';
import type { CheckpointComponent } from './checkpoint-keys.ts';
import { SafetensorsFile } from './safetensors.ts';

const REFERENCE = 'scripts/fixtures/diffusers-reference';
const COMPONENTS: readonly (readonly [CheckpointComponent, string])[] = [
  ['unet', 'unet/diffusion_pytorch_model.safetensors'],
  ['vae', 'vae/diffusion_pytorch_model.safetensors'],
  ['text_encoder', 'text_encoder/model.safetensors'],
];

for (const model of ['sd1-tiny', 'sd2-tiny']) {
  test(`${model}: every diffusers tensor reads from the checkpoint, bit for bit`, (t) => {
    const checkpoint = SafetensorsFile.open(`${REFERENCE}/${model}/checkpoint.safetensors`);
    t.after(() => checkpoint.close());
    for (const [component, file] of COMPONENTS) {
      const folder = SafetensorsFile.open(`${REFERENCE}/${model}/diffusers/${file}`);
      t.after(() => folder.close());
      const weights = checkpointWeights(checkpoint, component);
      for (const { name, shape } of folder.list()) {
        // sd1-tiny's text encoder predates transformers 5, which dropped the prefix.
        const diffusersName = name.replace(/^text_model\./, '');
        assert.ok(weights.has(diffusersName), `${component} has ${diffusersName}`);
        assert.deepEqual(
          weights.tensor(diffusersName, shape),
          folder.readFloat32(name),
          `${model} ${component} ${diffusersName}`,
        );
      }
    }
  });
}

test('a tensor asked for in the wrong shape or under an unknown name is refused, naming both keys', (t) => {
  const checkpoint = SafetensorsFile.open(`${REFERENCE}/sd2-tiny/checkpoint.safetensors`);
  t.after(() => checkpoint.close());
  const text = checkpointWeights(checkpoint, 'text_encoder');
  assert.throws(
    () => text.tensor('encoder.layers.0.self_attn.k_proj.weight', [64, 32]),
    /"cond_stage_model\.model\.transformer\.resblocks\.0\.attn\.in_proj_weight", the text_encoder's "encoder\.layers\.0\.self_attn\.k_proj\.weight", is \[64, 64\] \(a third of \[192, 64\]\), the model needs \[64, 32\]/,
  );
  // OpenCLIP's last block, which SD 2.x does not run, is not there to be asked for.
  assert.equal(text.has('encoder.layers.3.layer_norm1.weight'), false);
  assert.throws(
    () => text.tensor('encoder.layers.3.layer_norm1.weight', [64]),
    /holds no text_encoder tensor "encoder\.layers\.3\.layer_norm1\.weight"/,
  );
  const vae = checkpointWeights(checkpoint, 'vae');
  // 1x1 convolutions read as the linear layers diffusers has, and back.
  assert.equal(vae.tensor('decoder.mid_block.attentions.0.to_q.weight', [64, 64]).length, 4096);
  assert.equal(
    vae.tensor('decoder.mid_block.attentions.0.to_q.weight', [64, 64, 1, 1]).length,
    4096,
  );
});
