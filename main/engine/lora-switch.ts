import { LoraError } from '../lora/errors.ts';
import { loraFeeds } from '../lora/lora-feeds.ts';
import { readLora } from '../lora/read-lora.ts';
import { resolveLora } from '../lora/resolve-lora.ts';
import type { LoraComponent, LoraTensor } from '../lora/types.ts';
import { LruCache } from './cache.ts';
import type { LoraBranches } from './components/lora-branches.ts';
import { EngineError } from './errors.ts';
import type { LoraRequest } from './types.ts';

/** A run's styles each name their LoRA set; a few sets' feeds stay ready between avatars. */
const CACHED_SETS = 6;

/**
 * Chooses which LoRAs the next calls run with, by feeding the components' branches: a change of
 * style is a change of feeds, never a session reload. A set's feeds are read, checked against the
 * model and merged once, then kept; the files themselves are not (only their feeds are needed).
 */
export class LoraSwitch {
  private readonly sets = new LruCache<string, ReadonlyMap<LoraComponent, Map<string, LoraTensor>>>(
    CACHED_SETS,
  );
  private selected = '[]';

  constructor(private readonly components: readonly LoraBranches[]) {}

  /**
   * Makes `loras` the set every following UNet and text-encoder call is fed (none: the base
   * model) and returns the key naming it, for caches of what those calls compute.
   */
  select(loras: readonly LoraRequest[]): string {
    const key = JSON.stringify(loras.map((l) => [l.file, l.scale]));
    if (key === this.selected) return key;
    if (loras.length === 0) {
      for (const component of this.components) component.use(undefined);
    } else {
      let feeds = this.sets.get(key);
      if (!feeds) {
        feeds = this.build(loras);
        this.sets.set(key, feeds);
      }
      for (const component of this.components) component.use(feeds.get(component.component));
    }
    this.selected = key;
    return key;
  }

  private build(loras: readonly LoraRequest[]): Map<LoraComponent, Map<string, LoraTensor>> {
    const targets = this.components.flatMap((c) => c.targets);
    if (targets.length === 0) {
      throw new EngineError(
        'LORA_REFUSED',
        'this model has no LoRA inputs (an ONNX export, or built before LoRA support): import it from its .safetensors weights to use LoRA styles',
      );
    }
    try {
      const applied = loras.map(({ file, scale }) => ({
        lora: resolveLora(readLora(file), targets),
        scale,
      }));
      return new Map(
        this.components.map((c) => [c.component, loraFeeds(c.targets, applied)] as const),
      );
    } catch (error) {
      if (error instanceof LoraError)
        throw new EngineError('LORA_REFUSED', error.message, error.file);
      throw error;
    }
  }
}
