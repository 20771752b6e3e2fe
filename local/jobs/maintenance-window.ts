/**
 * Maintenance windows of scheduled jobs: a cron start time and a duration
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_MaintenanceWindow.html). The start
 * time uses the six-field cron form of AWS schedule expressions, `cron(min hour dom month dow year)`
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html#eb-cron-expressions):
 * `*`, `?`, lists, ranges, `/` steps, month names JAN–DEC and day names SUN–SAT (SUN = 1). The
 * `L`, `W` and `#` forms are refused rather than misread. Times are UTC.
 */

interface CronField {
  readonly any: boolean;
  readonly values: ReadonlySet<number>;
}

/** A parsed cron start time. */
export interface MaintenanceCron {
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  readonly dayOfWeek: CronField;
  readonly year: CronField;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseField(
  text: string,
  name: string,
  min: number,
  max: number,
  names?: string[],
): CronField {
  if (text === '*' || text === '?') return { any: true, values: new Set() };
  if (/[LW#]/.test(text))
    throw new Error(`cron ${name} "${text}": L, W and # are not supported locally`);
  const values = new Set<number>();
  const value = (token: string): number => {
    const index = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = index >= 0 ? index + min : Number(token);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`cron ${name} "${text}": ${token} is outside ${min}-${max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`cron ${name} "${text}": bad step ${stepText}`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [value(a), value(b)];
    } else [from, to] = [value(range), stepText === undefined ? value(range) : max];
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { any: false, values };
}

/** Parses `cron(m h dom mon dow year)`; throws an Error naming the field otherwise. */
export function parseMaintenanceCron(expression: string): MaintenanceCron {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  if (!m)
    throw new Error(
      `expected cron(minutes hours day-of-month month day-of-week year), got ${JSON.stringify(expression)}`,
    );
  const fields = m[1].trim().split(/\s+/);
  if (fields.length !== 6)
    throw new Error(`cron expression has ${fields.length} fields, expected 6`);
  return {
    minute: parseField(fields[0], 'minutes', 0, 59),
    hour: parseField(fields[1], 'hours', 0, 23),
    dayOfMonth: parseField(fields[2], 'day-of-month', 1, 31),
    month: parseField(fields[3], 'month', 1, 12, MONTHS),
    dayOfWeek: parseField(fields[4], 'day-of-week', 1, 7, DAYS),
    year: parseField(fields[5], 'year', 1970, 2199),
  };
}

const has = (field: CronField, v: number): boolean => field.any || field.values.has(v);

/** Whether the cron fires at the start of the UTC minute containing `ms`. */
export function cronMatches(cron: MaintenanceCron, ms: number): boolean {
  const d = new Date(ms);
  return (
    has(cron.minute, d.getUTCMinutes()) &&
    has(cron.hour, d.getUTCHours()) &&
    has(cron.dayOfMonth, d.getUTCDate()) &&
    has(cron.month, d.getUTCMonth() + 1) &&
    has(cron.dayOfWeek, d.getUTCDay() + 1) &&
    has(cron.year, d.getUTCFullYear())
  );
}

/** Whether `ms` falls in `[start, start + duration)` of some occurrence of one of the windows. */
export function inMaintenanceWindow(
  windows: readonly { startTime: string; durationInMinutes: number }[],
  ms: number,
): boolean {
  const minuteStart = Math.floor(ms / 60_000) * 60_000;
  for (const window of windows) {
    const cron = parseMaintenanceCron(window.startTime);
    for (let back = 0; back < window.durationInMinutes; back++) {
      if (cronMatches(cron, minuteStart - back * 60_000)) return true;
    }
  }
  return false;
}
