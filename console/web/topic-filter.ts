/**
 * MQTT topic filter matching (MQTT 3.1.1 §4.7: `+` one level, `#` the rest, at the end only;
 * `$`-topics are not matched by a filter starting with a wildcard, [MQTT-4.7.2-1]). The page
 * routes each arriving message to the views whose filters match. Pure.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Why a filter cannot be subscribed to (MQTT 3.1.1 §4.7.1), or undefined when it is fine. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter === '') return 'a topic filter cannot be empty';
  if (new TextEncoder().encode(filter).length > 256) return 'longer than 256 bytes (AWS IoT limit)';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1))
      return `"#" must be a whole level and the last one (level ${i + 1} is "${level}")`;
    if (level.includes('+') && level !== '+')
      return `"+" must be a whole level (level ${i + 1} is "${level}")`;
  }
  return undefined;
}
