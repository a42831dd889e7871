/**
 * The reference kohya LoRAs of diffusers' tiny models (scripts/fixtures/diffusers-reference/
 * README.md: rank 4, alpha 2) against the branches the models' own weights give: every layer
 * lands, and the feeds add what diffusers' merge adds, W + 0.8 · (alpha / rank) · up · down.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { relativeL2 } from '../testing/graphs/reference.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { loraFeeds } from './lora-feeds.ts';
import { inspectLora, readLora } from './read-lora.ts';
import { resolveLora } from './resolve-lora.ts';
import {
  branchWeight,
  loraRefusal,
  referenceLora,
  referenceTargets,
  withMetadata,
  type TinyModel,
} from '../testing/lora.ts';
import { loraInputNames, type LoraTarget } from './types.ts';

const MODELS: readonly TinyModel[] = ['sd1-tiny', 'sd2-tiny'];

/** kohya key → the module it names, spelled out: what the resolver must find by itself. */
const SOME_LAYERS = [
  [
    'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k',
    'unet',
    'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k',
  ],
  [
    'lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_2',
    'unet',
    'mid_block.attentions.0.transformer_blocks.0.ff.net.2',
  ],
  [
    'lora_unet_up_blocks_1_attentions_2_transformer_blocks_0_attn1_to_out_0',
    'unet',
    'up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_out.0',
  ],
  [
    'lora_te_text_model_encoder_layers_1_self_attn_q_proj',
    'text_encoder',
    'encoder.layers.1.self_attn.q_proj',
  ],
] as const;

for (const model of MODELS) {
  test(`${model}: every layer of its kohya LoRA lands on the model's branch for it`, () => {
    const targets = referenceTargets(model);
    const lora = readLora(referenceLora(model));
    assert.equal(lora.format, 'kohya');
    // Text encoder: 3 layers × q/k/v/out; UNet: 6 transformer blocks × attn1, attn2 q/k/v/out + ff.
    assert.equal(lora.layers.length, 3 * 4 + 6 * 9);
    assert.ok(lora.layers.every((layer) => layer.rank === 4 && layer.alpha === 2));

    const resolved = resolveLora(lora, targets);
    assert.equal(resolved.layers.length, lora.layers.length);
    assert.equal(new Set(resolved.layers.map((l) => l.target)).size, lora.layers.length);
    for (const [key, component, module] of SOME_LAYERS) {
      const index = lora.layers.findIndex((layer) => layer.key === key);
      const { target } = resolved.layers[index]!;
      assert.deepEqual([target.component, target.module], [component, module], key);
    }
  });

  test(`${model}: at 0.8 the fed branches are the merge's W' − W, and zeros elsewhere`, (t) => {
    const targets = referenceTargets(model);
    const file = referenceLora(model);
    const feeds = loraFeeds(targets, [{ lora: resolveLora(readLora(file), targets), scale: 0.8 }]);

    const st = SafetensorsFile.open(file);
    t.after(() => st.close());
    for (const [key, component, module] of SOME_LAYERS) {
      const tensor = (suffix: string) => {
        const name = `${key}.${suffix}`;
        return { data: st.readFloat32(name), dims: [...st.info(name).shape] };
      };
      const [up, down] = [tensor('lora_up.weight'), tensor('lora_down.weight')];
      const alpha = st.readFloat32(`${key}.alpha`)[0]!;
      const merged = branchWeight(up, down).map((w) => (0.8 * alpha * w) / up.dims[1]!);

      const names = loraInputNames(module);
      const fed = branchWeight(feeds.get(names.up)!, feeds.get(names.down)!);
      assert.ok(relativeL2(fed, merged) < 1e-6, `${component} ${module}`);
    }

    // Every branch the LoRA does not touch is fed a rank-1 branch of zeros.
    const ranks = targets.map((target) => {
      const { down, up } = loraInputNames(target.module);
      assert.equal(feeds.get(down)!.dims[0], feeds.get(up)!.dims[1], target.module);
      return feeds.get(down)!.dims[0];
    });
    assert.equal(ranks.filter((rank) => rank === 4).length, 3 * 4 + 6 * 9);
    assert.equal(ranks.filter((rank) => rank === 1).length, targets.length - (3 * 4 + 6 * 9));
  });
}

test('the tiny models are 64 wide, so their LoRAs tell their line only by the metadata kohya writes', (t) => {
  for (const model of MODELS) assert.equal(readLora(referenceLora(model)).base, undefined);

  const sd1 = withMetadata(t, referenceLora('sd1-tiny'), {
    ss_v2: 'False',
    ss_base_model_version: 'sd_v1',
  });
  const sd2 = withMetadata(t, referenceLora('sd2-tiny'), {
    ss_v2: 'True',
    ss_base_model_version: 'sd_v2',
  });
  const sd2Old = withMetadata(t, referenceLora('sd2-tiny'), { ss_v2: 'True' });
  assert.equal(readLora(sd1).base, 'sd1');
  assert.equal(readLora(sd2).base, 'sd2');
  assert.equal(readLora(sd2Old).base, 'sd2');
  assert.deepEqual(inspectLora(sd1), {
    format: 'kohya',
    base: 'sd1',
    layers: 66,
    ranks: [4],
    components: ['unet', 'text_encoder'],
    bytes: fs.statSync(sd1).size,
  });
});

/** A tiny model's branches with its line's real text-embedding width on cross-attention k/v. */
function widened(model: TinyModel, context: number): LoraTarget[] {
  return referenceTargets(model).map((target) =>
    /attn2\.to_[kv]$/.test(target.module) ? { ...target, inFeatures: context } : target,
  );
}

test("one line's LoRA on the other's model is refused in words, before any layer is matched", (t) => {
  const sd1 = withMetadata(t, referenceLora('sd1-tiny'), { ss_v2: 'False' }, 'clay.safetensors');
  const sd2 = withMetadata(t, referenceLora('sd2-tiny'), { ss_v2: 'True' }, 'ink.safetensors');
  assert.throws(
    () => resolveLora(readLora(sd1), widened('sd2-tiny', 1024)),
    loraRefusal(
      'LORA_WRONG_BASE',
      'clay.safetensors is a LoRA for SD 1.x models (768-wide text embeddings); this model is SD 2.x (1024-wide), such as SD-Turbo',
    ),
  );
  assert.throws(
    () => resolveLora(readLora(sd2), widened('sd1-tiny', 768)),
    loraRefusal(
      'LORA_WRONG_BASE',
      'ink.safetensors is a LoRA for SD 2.x models (1024-wide text embeddings); this model is SD 1.x (768-wide), such as SD 1.5',
    ),
  );
});

test('untagged, the tiny sd1 LoRA on the tiny sd2 model is refused by its first layer that differs', () => {
  assert.throws(
    () => resolveLora(readLora(referenceLora('sd1-tiny')), referenceTargets('sd2-tiny')),
    loraRefusal(
      'LORA_SHAPE',
      /^lora-kohya\.safetensors does not fit this model: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k" has a down of \[4, 32\] and an up of \[32, 4\], but the model's down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\.to_k is a linear layer from 64 to 64 features$/,
    ),
  );
});
