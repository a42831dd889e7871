/** A labelled progress bar; screen readers get the label and the value. */
export function ProgressBar({
  label,
  value,
  max,
  valueText,
  size = 'md',
  testId,
}: {
  label: string;
  value: number;
  max: number;
  valueText?: string;
  size?: 'sm' | 'md';
  testId?: string;
}) {
  const fraction = max > 0 ? Math.min(Math.max(value / max, 0), 1) : 0;
  return (
    <div
      className="progress"
      data-size={size}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      aria-valuetext={valueText}
      data-testid={testId}
    >
      <div className="progress-fill" style={{ width: `${fraction * 100}%` }} />
    </div>
  );
}
