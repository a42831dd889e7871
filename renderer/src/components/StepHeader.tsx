import type { Step } from '../app/state.ts';
import { Icon } from './Icon.tsx';

export interface StepItem {
  id: Step;
  label: string;
  done: boolean;
}

/** 1 Photos → 2 Styles → 3 Generate → 4 Gallery; every step stays reachable. */
export function StepHeader({
  steps,
  current,
  onChoose,
}: {
  steps: readonly StepItem[];
  current: Step | null;
  onChoose: (step: Step) => void;
}) {
  return (
    <nav className="steps" aria-label="Steps">
      <ol>
        {steps.map((step, index) => (
          <li key={step.id}>
            <button
              type="button"
              className="step"
              data-current={step.id === current || undefined}
              data-done={step.done || undefined}
              aria-current={step.id === current ? 'step' : undefined}
              onClick={() => onChoose(step.id)}
            >
              <span className="step-number" aria-hidden="true">
                {step.done && step.id !== current ? <Icon name="check" size={14} /> : index + 1}
              </span>
              <span className="step-label">{step.label}</span>
              {step.done && <span className="visually-hidden"> (done)</span>}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
