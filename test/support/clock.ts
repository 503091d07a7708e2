/** Clock edges, for tests whose expectations hold only within one local day. */

/**
 * Waits, if need be, until the local time in `timeZone` is more than `minutes` away from
 * midnight (at most 2 × minutes).
 */
export async function clearOfMidnight(minutes: number, timeZone = 'Asia/Phnom_Penh'): Promise<void> {
  for (;;) {
    const [h, m, s] = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .format(new Date())
      .split(':')
      .map(Number) as [number, number, number];
    const sinceMidnight = h * 3600 + m * 60 + s;
    const margin = minutes * 60;
    if (sinceMidnight > margin && sinceMidnight < 86_400 - margin) return;
    const wait = sinceMidnight <= margin ? margin - sinceMidnight + 1 : 86_400 - sinceMidnight + margin + 1;
    console.log(`${timeZone} is within ${minutes} min of midnight: waiting ${wait} s`);
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}
