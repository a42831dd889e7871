import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relativeL2 } from '../testing/graphs/reference.ts';
import { loraFeeds } from './lora-feeds.ts';
import { readLora } from './read-lora.ts';
import { resolveLora, type ResolvedLora } from './resolve-lora.ts';
import { branchWeight, referenceTargets, writeLora } from '../testing/lora.ts';
import { loraInputNames } from './types.ts';

const targets = referenceTargets('sd1-tiny');
const TO_Q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const TO_K = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k';
const CONV = 'down_blocks.0.resnets.0.conv1';
const kohyaName = (module: string) => `lora_unet_${module.replaceAll('.', '_')}`;

/** A kohya LoRA on `layers`: [module, rank, down dims after the rank, up dims without the rank]. */
function lora(
  t: { after(fn: () => void): void },
  seed: number,
  alpha: number,
  layers: readonly (readonly [string, number, number[], number[]])[],
): ResolvedLora {
  const file = writeLora(
    t,
    layers.flatMap(([module, rank, down, up]) => [
      [`${kohyaName(module)}.lora_down.weight`, [rank, ...down]],
      [`${kohyaName(module)}.lora_up.weight`, [up[0]!, rank, ...up.slice(1)]],
      [`${kohyaName(module)}.alpha`, [], [alpha]],
    ]),
    { seed },
  );
  return resolveLora(readLora(file), targets);
}

test('with no LoRA, a graph that runs every branch is fed rank 1 of zeros, in its layout', () => {
  const feeds = loraFeeds(targets, []);
  assert.equal(feeds.size, 2 * targets.length);
  const dims = (module: string) => {
    const names = loraInputNames(module);
    return [feeds.get(names.down)!, feeds.get(names.up)!].map((tensor) => {
      assert.ok(tensor.data.every((v) => v === 0));
      return tensor.dims;
    });
  };
  assert.deepEqual(dims(TO_Q), [
    [1, 32],
    [32, 1],
  ]);
  assert.deepEqual(dims(CONV), [
    [1, 32, 3, 3],
    [32, 1, 1, 1],
  ]);
  assert.deepEqual(dims('down_blocks.0.attentions.0.proj_in'), [
    [1, 32, 1, 1],
    [32, 1, 1, 1],
  ]);
});

test("a graph that skips empty branches is fed rank 0 where no LoRA applies, the LoRA's rank where one does", (t) => {
  const skipping = targets.map((target) => ({ ...target, skipsRankZero: true }));
  const applied = lora(t, 1, 2, [[TO_Q, 2, [32], [32]]]);
  const ranks = (feeds: ReturnType<typeof loraFeeds>) =>
    [TO_Q, CONV].map((module) => {
      const names = loraInputNames(module);
      return [feeds.get(names.down)!.dims, feeds.get(names.up)!.dims];
    });
  assert.deepEqual(ranks(loraFeeds(skipping, [])), [
    [
      [0, 32],
      [32, 0],
    ],
    [
      [0, 32, 3, 3],
      [32, 0, 1, 1],
    ],
  ]);
  assert.deepEqual(ranks(loraFeeds(skipping, [{ lora: applied, scale: 1 }])), [
    [
      [2, 32],
      [32, 2],
    ],
    [
      [0, 32, 3, 3],
      [32, 0, 1, 1],
    ],
  ]);
});

test('two LoRAs on one layer are one branch of their summed rank, each at its scale · alpha / rank', (t) => {
  const a = lora(t, 1, 2, [
    [TO_Q, 4, [32], [32]],
    [CONV, 4, [32, 3, 3], [32, 1, 1]],
  ]);
  const b = lora(t, 2, 1, [
    [TO_Q, 2, [32], [32]],
    [TO_K, 2, [32], [32]],
  ]);
  const feeds = loraFeeds(targets, [
    { lora: a, scale: 0.8 },
    { lora: b, scale: -0.5 },
  ]);
  const fed = (module: string) => {
    const names = loraInputNames(module);
    return { down: feeds.get(names.down)!, up: feeds.get(names.up)! };
  };
  const layerOf = (resolved: ResolvedLora, module: string) =>
    resolved.layers.find((layer) => layer.target.module === module)!;
  const weight = (resolved: ResolvedLora, module: string, factor: number) => {
    const layer = layerOf(resolved, module);
    return branchWeight(layer.up, layer.down).map((w) => (factor * layer.alpha * w) / layer.rank);
  };

  const q = fed(TO_Q);
  assert.deepEqual(
    [q.down.dims, q.up.dims],
    [
      [6, 32],
      [32, 6],
    ],
  );
  // The down rows are the LoRAs' own, one after the other; only up carries the factors.
  assert.deepEqual(
    [...q.down.data],
    [...layerOf(a, TO_Q).down.data, ...layerOf(b, TO_Q).down.data],
  );
  const both = weight(a, TO_Q, 0.8).map((w, i) => w + weight(b, TO_Q, -0.5)[i]!);
  assert.ok(relativeL2(branchWeight(q.up, q.down), both) < 1e-6);

  const k = fed(TO_K);
  assert.deepEqual(k.down.dims, [2, 32]);
  assert.ok(relativeL2(branchWeight(k.up, k.down), weight(b, TO_K, -0.5)) < 1e-6);

  const conv = fed(CONV);
  assert.deepEqual(
    [conv.down.dims, conv.up.dims],
    [
      [4, 32, 3, 3],
      [32, 4, 1, 1],
    ],
  );
  assert.ok(relativeL2(branchWeight(conv.up, conv.down), weight(a, CONV, 0.8)) < 1e-6);
});

test('a LoRA at scale 0 contributes nothing: zeros, so the base model exactly', (t) => {
  const a = lora(t, 1, 2, [[TO_Q, 4, [32], [32]]]);
  const b = lora(t, 2, 2, [[TO_Q, 2, [32], [32]]]);
  const names = loraInputNames(TO_Q);
  const alone = loraFeeds(targets, [{ lora: a, scale: 0 }]);
  assert.deepEqual(
    [alone.get(names.down)!.dims, alone.get(names.up)!.dims],
    [
      [1, 32],
      [32, 1],
    ],
  );
  assert.ok(alone.get(names.up)!.data.every((v) => v === 0));
  const mixed = loraFeeds(targets, [
    { lora: a, scale: 0 },
    { lora: b, scale: 1 },
  ]);
  assert.deepEqual(mixed.get(names.down)!.dims, [2, 32]);
});

test('a scale that is not a finite number is refused', (t) => {
  const a = lora(t, 1, 2, [[TO_Q, 4, [32], [32]]]);
  for (const scale of [NaN, Infinity]) {
    assert.throws(() => loraFeeds(targets, [{ lora: a, scale }]), /not a finite number/);
  }
});
