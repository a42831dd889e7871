import type { ReactNode } from 'react';

export interface Segment<T> {
  value: T;
  label: ReactNode;
}

/**
 * One choice of a few, side by side. Native radios in a fieldset: Tab stops once, the arrow keys
 * move the choice, the legend names the group and each label its radio (the radio itself is
 * hidden; the styles draw its focus ring on the label's text).
 */
export function SegmentedControl<T extends string | number>({
  legend,
  name,
  options,
  value,
  onChange,
}: {
  legend: string;
  /** The radios' group name, unique on the page. */
  name: string;
  options: readonly Segment<T>[];
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <fieldset className="segmented-field">
      <legend className="field-label">{legend}</legend>
      <div className="segmented">
        {options.map((option) => (
          <label key={option.value}>
            <input
              type="radio"
              name={name}
              value={option.value}
              checked={value === option.value}
              onChange={() => onChange(option.value)}
            />
            <span>{option.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
