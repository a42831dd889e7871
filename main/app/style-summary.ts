/**
 * A style as the picker shows it: its preview by id, and its LoRA as it stands for the model the
 * next run uses, a missing one explained in the app's words. Nothing here names a path.
 */
import type { StyleLoraSummary, StyleSummary } from '../api/contract.ts';
import {
  styleLoraStatus,
  type StyleLoraOptions,
  type StyleLoraProblem,
  type StyleLoraStatus,
} from '../styles/lora.ts';
import type { Style } from '../styles/types.ts';

export async function styleSummary(
  style: Readonly<Style>,
  options: StyleLoraOptions,
): Promise<StyleSummary> {
  const { id, name, description, triggerWords } = style;
  const { lora } = await styleLoraStatus(style, options);
  return {
    id,
    name,
    description,
    preview: { kind: 'style', id },
    ...(lora && { lora: loraSummary(lora) }),
    ...(lora && triggerWords && { triggerWords: [...triggerWords] }),
  };
}

function loraSummary(lora: NonNullable<StyleLoraStatus['lora']>): StyleLoraSummary {
  // styleLoraStatus gives the id, or the file's base name: never its path.
  const name = lora.id ?? lora.file ?? 'LoRA';
  return {
    name,
    scale: lora.scale,
    available: lora.available,
    ...(!lora.available && { reason: loraReason(name, lora.problem) }),
  };
}

/**
 * Why a style cannot run, for the style card: what it needs first, then the terminal's command
 * that fixes it where there is one (the app installs no LoRA itself yet).
 */
export function loraReason(name: string, problem: StyleLoraProblem | undefined): string {
  switch (problem?.kind) {
    case 'not-installed':
      return `Needs the LoRA '${name}', which is not installed. To install it, run: ${problem.install}`;
    case 'file-lost':
      return `Needs the LoRA '${name}', whose file is missing. Remove it and install it again: ${problem.remove}`;
    case 'file-missing':
      return `Needs the LoRA file '${name}', which is missing.`;
    case 'unusable':
      return `Needs the LoRA file '${name}', which cannot be used: ${problem.detail}`;
    case 'misfit':
      return `Needs the LoRA '${name}', which does not fit the current model: ${problem.detail}`;
    case undefined:
      return `Needs the LoRA '${name}', which cannot be used.`;
  }
}
