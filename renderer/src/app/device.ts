import type { AppStatus, ProviderName } from '../../../main/api/contract.ts';

type Fallback = NonNullable<AppStatus['device']>['fallbacks'][number];

const PROVIDER_NAMES: Record<ProviderName, string> = {
  cpu: 'CPU',
  cuda: 'GPU (NVIDIA CUDA)',
  dml: 'GPU (DirectML)',
  coreml: 'GPU (Core ML)',
};

/** The GPU each provider drives, as a person names it. */
const GPU_NAMES: Record<ProviderName, string> = {
  cpu: 'CPU',
  cuda: 'NVIDIA GPU',
  dml: 'DirectX 12 GPU',
  coreml: 'Apple GPU',
};

/** What runs the model, in two words ("CPU", "GPU (NVIDIA CUDA)"). */
export function deviceLabel(status: AppStatus): string {
  return status.device
    ? PROVIDER_NAMES[status.device.provider]
    : 'Chosen when the model loads: the GPU if one works, else the CPU';
}

/** Why a GPU was not used, without onnxruntime's words (those stay behind a disclosure). */
function whyNot({ provider, reason }: Fallback): string {
  const gpu = GPU_NAMES[provider];
  // onnxruntime cannot open the provider's library: CUDA's comes with NVIDIA's driver and toolkit.
  if (/shared library|cannot open|no such file|lib\w+\.so|\.dll|not found/i.test(reason)) {
    return provider === 'cuda' ? 'No NVIDIA GPU driver found' : `No ${gpu} driver found`;
  }
  if (/not (?:available|supported|compiled|enabled|registered)|unknown provider/i.test(reason)) {
    return `This installation cannot use the ${gpu}`;
  }
  return `The ${gpu} could not be used`;
}

/** The device in a sentence: "No NVIDIA GPU driver found; using the CPU." */
export function deviceSentence(status: AppStatus): string {
  const device = status.device;
  if (!device) return 'Chosen when the model first loads: your GPU if one works, else the CPU.';
  const [first] = device.fallbacks;
  const using = device.provider === 'cpu' ? 'the CPU' : `your ${GPU_NAMES[device.provider]}`;
  return first ? `${whyNot(first)}; using ${using}.` : `Using ${using}.`;
}
